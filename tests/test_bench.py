"""The benchmark command still runs end to end (its figures are measured by running it at
100,000 articles, not here: speed is never a timed test)."""

import json
import os
import subprocess
import sys

from .spec import ROOT


def test_bench_search_runs_on_a_tiny_corpus():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_search",
            "--articles",
            "300",
            "--repeat",
            "1",
            "--json",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert len(report["queries"]) >= 20
    assert all(q["status"] == 200 for q in report["queries"])
