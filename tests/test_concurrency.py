"""SQLite under concurrent use: editors and imports write while readers search, and nobody
ever sees "database is locked", a 503 or a 500.

A real file database (WAL, immediate transactions and the busy timeout of
archive/settings.py) served by gunicorn with the project's configuration (two worker
processes of two threads); one writer process importing a changed Markdown file and saving
as an editor does (the curation service, in transactions; an alias now and then, which
relinks every article) for WRITE_SECONDS, while four reader threads request searches,
article pages and the API over HTTP. Every response must be a 200 and the server's log must
hold no error; reads and writes must both make progress, and the readers must see the
writer's changes as they happen.

A correctness test, not a benchmark: it asserts nothing about speed. SQLite only: on
PostgreSQL writers lock rows, not the database.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from .faults_support import finish, kill, seeded_database, wait_for
from .spec import BODYCAM, FACIAL, NARA_CBP, ROOT, TORRANCE

WRITE_SECONDS = 5.0
READERS = 4
PROBE = "concurrency-probe"  # the article the writer's imports keep changing
READ_URLS = [
    "/search/?q=ice",
    "/search/?q=facial+recognition",
    "/search/?q=wickr+-amazon&sort=newest",
    "/search/?q=probe",
    f"/articles/{FACIAL}/",
    f"/articles/{NARA_CBP}/",
    f"/articles/{PROBE}/",
    "/api/articles/",
    "/api/search/?q=ice",
    f"/api/articles/{BODYCAM}/",
    f"/api/articles/{PROBE}/",
    "/",
]

# The writer: what editors and imports do, as fast as it can, for WRITE_SECONDS.
WRITER = textwrap.dedent(
    """
    import io, json, sys, time
    from pathlib import Path

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from archive import curation
    from archive.models import Alias, Article, Entity

    folder, seconds, probe, edited = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
    seed = folder / "probe.md"


    def import_version(n):
        seed.write_text(
            f"---\\ntitle: Concurrency Probe\\nslug: {probe}\\npublished: 2024-01-01\\n"
            "source_url: https://example.org/concurrency-probe/\\n---\\n\\n"
            f"Version {n} of a report on ICE and CBP contracts.\\n",
            encoding="utf-8",
        )
        call_command("import_seeds", str(seed), stdout=io.StringIO())


    # (No password: hashing one costs a second of CPU, and nobody logs in.)
    editor = User.objects.create(username="editor", is_staff=True, is_superuser=True)
    ice = Entity.objects.get(slug="ice")
    import_version(0)
    (folder / "writer-ready").touch()
    counts = {"imports": 1, "article_saves": 0, "alias_saves": 0, "alias_deletes": 0}
    errors = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            if n % 2:
                import_version(n)
                counts["imports"] += 1
            else:
                article = Article.objects.get(slug=edited)
                article.facts_note = f"Checked by an editor, pass {n}."
                curation.save_article(article, ["facts_note"], editor)
                counts["article_saves"] += 1
            if n % 5 == 0:
                # A name an editor adds, then removes: each relinks every article.
                alias = Alias.objects.filter(entity=ice, name="Deportation Agency").first()
                if alias is None:
                    alias = Alias(entity=ice, name="Deportation Agency")
                    curation.save_alias(alias, ["name"], editor, created=True)
                    counts["alias_saves"] += 1
                else:
                    curation.delete_items([alias], editor)
                    counts["alias_deletes"] += 1
        except Exception as exc:
            errors.append(repr(exc))
    print(json.dumps({"counts": counts, "errors": errors}))
    """
)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


class Reader(threading.Thread):
    """Requests READ_URLS in turn (each thread from its own place) until told to stop."""

    def __init__(self, port: int, start: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.index, self.stop = port, start, stop
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.probe_bodies: set[str] = set()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.is_set():
            url = READ_URLS[self.index % len(READ_URLS)]
            self.index += 1
            try:
                conn.request("GET", url)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(f"{url}: {exc!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.statuses[response.status] += 1
            if response.status != 200 or b"database is locked" in body:
                self.errors.append(f"{url}: {response.status} {body[:300]!r}")
            elif url == f"/api/articles/{PROBE}/":
                self.probe_bodies.add(json.loads(body)["body"])
        conn.close()


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite only: PostgreSQL locks rows, not the database (the SQLite leg runs it)",
)
def test_readers_never_see_a_locked_database_while_editors_and_imports_write():
    with seeded_database("sqlite") as db:
        folder = db.folder
        listener = free_socket()
        port = listener.getsockname()[1]
        server_log = open(folder / "server.log", "w+")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "archive/gunicorn.conf.py"]
            + ["--bind", f"fd://{listener.fileno()}", "--threads", "2"],
            cwd=ROOT,
            env=db.env(WEB_CONCURRENCY="2", GUNICORN_LOG_LEVEL="info"),
            pass_fds=[listener.fileno()],
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        listener.close()
        writer = db.python(WRITER, str(folder), str(WRITE_SECONDS), PROBE, TORRANCE)
        stop, readers = threading.Event(), []
        try:

            def answers() -> bool:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                        s.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                        return b" 200 " in s.recv(64).split(b"\r\n")[0]
                except OSError:
                    return False

            wait_for(answers, 60, "gunicorn answering", proc=server)
            wait_for((folder / "writer-ready").exists, 60, "the writer starting", proc=writer)
            readers = [Reader(port, i * 3, stop) for i in range(READERS)]
            for r in readers:
                r.start()
            started = time.monotonic()
            out, err = finish(writer, timeout=WRITE_SECONDS + 60)
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            for r in readers:
                r.join(timeout=60)
            kill(writer)
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            server_log.seek(0)
            log = server_log.read()
            server_log.close()

        report = json.loads(out)
        writes = sum(report["counts"].values())
        statuses = sum((r.statuses for r in readers), Counter())
        reads = sum(statuses.values())
        errors = [e for r in readers for e in r.errors]
        probe_versions = set().union(*(r.probe_bodies for r in readers))
        summary = (
            f"{elapsed:.1f} s: {reads} reads {dict(statuses)}, {writes} writes "
            f"{report['counts']}, {len(probe_versions)} versions of the probe seen"
        )
        print(summary)
        assert not report["errors"], (summary, report["errors"][:5], err[-3000:])
        assert not errors, (summary, errors[:5])
        for bad in ("database is locked", "Traceback", "Internal Server Error", "[ERROR]"):
            assert bad not in log, (summary, bad, log[-5000:])
        # gunicorn's access log: '"GET /path HTTP/1.1" STATUS SIZE ...'
        assert not re.findall(r'HTTP/1\.[01]" 5\d\d ', log), (summary, log[-5000:])
        # Both sides made progress, and the readers saw the writer's imports land. (The
        # floors are low on purpose: on a loaded 2-core machine a run makes 59-107 reads
        # and 11-21 writes; correctness is the zero errors above, not throughput.)
        assert report["counts"]["imports"] >= 2 and report["counts"]["article_saves"] >= 1
        assert reads >= 10, summary
        assert len(probe_versions) >= 2, summary
