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


def test_bench_site_times_every_page_type(seeded):
    """bench_site asks every page type of the database at hand; on the seed each answers."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("bench_site", "--repeat", "1", "--json", stdout=out)
    pages = json.loads(out.getvalue())
    kinds = {p["kind"] for p in pages}
    assert kinds == {"home", "index", "search", "article", "entity", "api", "feed", "export"}
    assert {p["url"]: p["status"] for p in pages if p["status"] != 200} == {
        "/agencies/ice/?page=2": 404,  # the seed names ICE in ten articles: one page
        "/agencies/ice/?page=50": 404,
    }
