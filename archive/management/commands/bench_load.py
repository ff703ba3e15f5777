"""A load test against the production server on the database at hand (read-only).

    DEBUG=1 python manage.py bench_load [--users 50] [--seconds 60] [--workers N]

Point DATABASE_URL at a large database first (e.g. the one `bench_search --keep` leaves).
The command collects the static files, starts gunicorn with production settings (DEBUG
off, archive/gunicorn.conf.py) on a free port of 127.0.0.1, waits for /healthz, runs locust
headless (archive/bench/locustfile.py: search 40%, article 25%, entity 20%, API 10%,
feeds 5%) for --seconds with --users users, prints the figures per page type and in all,
and stops the server. Loopback only, bounded in time. Needs locust: pip install -e '.[load]'.
"""

import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.bench import site

TARGET_P95_MS = 300
TARGET_RPS = {"postgresql": 200, "sqlite": 100}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Load-test the production server (gunicorn) with locust, loopback only."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=50, help="Concurrent users (50).")
        parser.add_argument("--seconds", type=int, default=60, help="Length of the test (60).")
        parser.add_argument("--workers", type=int, default=None, help="gunicorn workers.")

    def handle(self, *args, users, seconds, workers, **options):
        locust = Path(sys.executable).with_name("locust")
        if not locust.exists():
            raise CommandError("locust is not installed: pip install -e '.[load]'")
        if not 1 <= users <= 500 or not 1 <= seconds <= 600:
            raise CommandError("--users must be 1-500 and --seconds 1-600")
        vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        vendor = "postgresql" if "postgres" in vendor else "sqlite"
        work = Path(tempfile.mkdtemp(prefix="bench-load-"))
        try:
            pools = site.pools()
            (work / "pools.json").write_text(json.dumps(pools))
            port = _free_port()
            env = os.environ | {
                "DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0",
                "PORT": str(port),
                "BENCH_POOLS": str(work / "pools.json"),
                "LOG_LEVEL": "ERROR",
            }
            if workers:
                env["WEB_CONCURRENCY"] = str(workers)
            # Collected with the production settings: their storage writes the manifest of
            # hashed names the pages link to.
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                cwd=settings.BASE_DIR,
                env=env,
                check=True,
            )
            gunicorn = Path(sys.executable).with_name("gunicorn")
            server = subprocess.Popen(
                [str(gunicorn), "-c", "archive/gunicorn.conf.py"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(work / "server.log", "w"),  # noqa: SIM115 - closed with the process
            )
            try:
                self._wait_for(f"http://127.0.0.1:{port}/healthz", server)
                # Warm every worker's aggregates once, as readers do after a change.
                for kind_urls in pools.values():
                    for url in kind_urls[:3]:
                        try:
                            urllib.request.urlopen(f"http://127.0.0.1:{port}{url}", timeout=60)
                        except OSError as exc:
                            log = (work / "server.log").read_text()[-2000:]
                            raise CommandError(f"{url}: {exc}\n{log}") from None
                subprocess.run(
                    [
                        str(locust), "-f", str(Path(site.__file__).with_name("locustfile.py")),
                        "--headless", "--users", str(users), "--spawn-rate", str(users),
                        "--run-time", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
                        "--csv", str(work / "load"), "--only-summary", "--loglevel", "ERROR",
                    ],
                    # locust exits 1 when any request failed: the report says how many.
                    env=env, check=False, stdout=subprocess.DEVNULL,
                    stderr=open(work / "locust.log", "w"),  # noqa: SIM115
                )  # fmt: skip
            finally:
                server.terminate()
                server.wait(timeout=30)
            if not (work / "load_stats.csv").exists():
                raise CommandError(
                    "locust wrote no statistics:\n" + (work / "locust.log").read_text()
                )
            self._report(work / "load_stats.csv", vendor, users, seconds)
            failures = work / "load_failures.csv"
            for row in list(csv.DictReader(failures.open()))[:10] if failures.exists() else []:
                self.stdout.write(
                    f"  failure: {row['Occurrences']} x {row['Name']}: {row['Error']}"
                )
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _wait_for(self, url: str, server) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError("gunicorn stopped before it answered (see its log)")
            try:
                urllib.request.urlopen(url, timeout=2).read()
                return
            except OSError:
                time.sleep(0.5)
        raise CommandError(f"no answer from {url} within 60 s")

    def _report(self, path: Path, vendor: str, users: int, seconds: int) -> None:
        rows = list(csv.DictReader(path.open()))
        self.stdout.write(
            f"Load test: {vendor}, {users} users for {seconds} s against gunicorn "
            f"(production settings). Targets: 0 errors, p95 < {TARGET_P95_MS} ms, "
            f">= {TARGET_RPS[vendor]} requests/s."
        )
        self.stdout.write(
            f"  {'type':12} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50':>6} {'p95':>6} "
            f"{'p99':>6} {'max':>7}"
        )
        for row in rows:
            self.stdout.write(
                f"  {row['Name']:12} {row['Request Count']:>9} {row['Failure Count']:>7} "
                f"{float(row['Requests/s']):7.1f} {row['50%']:>6} {row['95%']:>6} "
                f"{row['99%']:>6} {float(row['Max Response Time']):7.0f}"
            )
        total = next(r for r in rows if r["Name"] == "Aggregated")
        met = (
            int(total["Failure Count"]) == 0
            and float(total["95%"]) < TARGET_P95_MS
            and float(total["Requests/s"]) >= TARGET_RPS[vendor]
        )
        self.stdout.write("All targets met." if met else "Targets NOT all met (see above).")
