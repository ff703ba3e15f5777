"""`manage.py backup` and `restore`, on both engines, while the site serves.

One flow per engine, on a throwaway seeded database, with a reader requesting pages,
searches and the API throughout (zero errors allowed), an editor and an operator who runs
the commands (call_command; one backup runs as `manage.py`, in a process of its own):

1. a backup while the reader reads; the snapshot of every row at that moment;
2. the editor deletes an article and adds an alias (the curation service, as the admin);
   on PostgreSQL, a restore that fails part way first, which must change nothing;
3. restore: every row of every table equals the snapshot again (the archive's time of last
   change excepted: a restore records one, later than the backup's);
4. a backup while the editor commits pairs of aliases, one pair per transaction, as fast as
   it can: the copy (read from the file) holds whole pairs only, one moment of the database.

And the refusals: each is one line, and none touches the database.
"""

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

from .faults_support import (
    ENGINES,
    Database,
    assert_same,
    kill,
    prepare,
    seeded_database,
    stderr_of,
    subprocess_env,
    wait_for,
)
from .spec import DEPORTED, FACIAL, NARA_CBP, ROOT

STATE = "archive_archivestate"
READ_URLS = [
    "/",
    "/search/?q=ice",
    "/search/?q=wickr+-amazon",
    f"/articles/{FACIAL}/",
    "/api/articles/",
    "/api/search/?q=facial",
    f"/api/articles/{NARA_CBP}/",
    "/agencies/",
]

# The site's side, the editor's and the operator's, in one long-lived process (one Django
# start-up): asked one JSON line at a time on stdin, it answers one JSON line on stdout.
# A reader thread requests pages, searches and the API with Django's test client (every
# response must be a 200) until told to stop; the editor acts as the admin would (the
# curation service); the operator runs management commands (call_command); a thread
# commits pairs of aliases (one pair per transaction) until told to stop. Each thread has
# its own database connection.
OPERATOR = textwrap.dedent(
    """
    import io, json, sys, threading, time

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import CommandError, call_command
    from django.db import connection, transaction
    from django.test import Client

    from archive import curation
    from archive.models import Alias, Article, Entity

    # (No password: hashing one costs a second of CPU, and nobody logs in.)
    editor = User.objects.create(username="editor", is_staff=True, is_superuser=True)
    ice = Entity.objects.get(slug="ice")
    stop_pairs, written = threading.Event(), []


    def write_pairs():
        try:
            while not stop_pairs.is_set():
                n = len(written)
                with transaction.atomic():
                    Alias.objects.create(entity=ice, name=f"pair {n} a")
                    Alias.objects.create(entity=ice, name=f"pair {n} b")
                written.append(n)
        finally:
            connection.close()


    threads = {"pairs": threading.Thread(target=write_pairs)}
    reading, stop_reading, reads, read_errors = threading.Event(), threading.Event(), [], []


    def read(urls):
        client = Client(raise_request_exception=False)
        try:
            while not stop_reading.is_set():
                url = urls[len(reads) % len(urls)]
                try:
                    status = client.get(url).status_code
                    if status != 200:
                        read_errors.append(f"{url}: {status}")
                except Exception as exc:
                    read_errors.append(f"{url}: {exc!r}")
                reads.append(url)
                reading.set()
                time.sleep(0.1)  # a steady reader, not one that takes a whole core
        finally:
            connection.close()


    def answer(request):
        if request["op"] == "change":
            curation.delete_items([Article.objects.get(slug=request["delete"])], editor)
            alias = Alias(entity=ice, name=request["alias"])
            curation.save_alias(alias, ["name"], editor, created=True)
            return {}
        if request["op"] == "command":
            out = io.StringIO()
            try:
                call_command(*request["args"], stdout=out)
            except CommandError as exc:
                return {"error": str(exc)}
            return {"out": out.getvalue()}
        if request["op"] == "start-reading":
            threads["reader"] = threading.Thread(target=read, args=[request["urls"]])
            threads["reader"].start()
            return {"reading": reading.wait(60)}
        if request["op"] == "stop-reading":
            stop_reading.set()
            threads["reader"].join()
            return {"reads": len(reads), "errors": read_errors}
        if request["op"] == "start-pairs":
            threads["pairs"].start()
            return {}
        if request["op"] == "stop-pairs":
            stop_pairs.set()
            threads["pairs"].join()
            return {"pairs": len(written)}
        raise ValueError(request)


    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        print(json.dumps(answer(json.loads(line))), flush=True)
    """
)


def answer(operator) -> dict:
    line = operator.stdout.readline()
    if not line:
        operator.wait(timeout=30)
        pytest.fail(f"the operator stopped: {stderr_of(operator)}")
    return json.loads(line)


def ask(operator, **request) -> dict:
    """One request to the operator process, and its answer."""
    operator.stdin.write(json.dumps(request) + "\n")
    operator.stdin.flush()
    return answer(operator)


@pytest.fixture(scope="module", autouse=True)
def templates():
    """Both engines' seeded templates, made side by side while the first test starts."""
    prepare(*ENGINES)


def without(dump: dict, *tables: str) -> dict:
    return {table: rows for table, rows in dump.items() if table not in {STATE, *tables}}


def changed_at(db: Database):
    with closing(db.connect()) as conn:
        return conn.execute(f"SELECT changed FROM {STATE}").fetchone()[0]


def pairs_in(db: Database) -> list[str]:
    with closing(db.connect()) as conn:
        rows = conn.execute("SELECT name FROM archive_alias WHERE name LIKE 'pair %'")
        return sorted(r[0] for r in rows.fetchall())


def pairs_in_backup(vendor: str, path: Path) -> list[str]:
    """The editor's pairs in a backup file, read from the file itself."""
    if vendor == "sqlite":
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT name FROM archive_alias WHERE name LIKE 'pair %'")
            return sorted(r[0] for r in rows.fetchall())
    script = subprocess.run(
        ["pg_restore", "--data-only", "--table=archive_alias", "--file=-", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = script.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("COPY public.archive_alias "))
    columns = lines[start][lines[start].index("(") + 1 : lines[start].index(")")].split(", ")
    names = []
    for line in lines[start + 1 :]:
        if line == "\\.":
            break
        names.append(dict(zip(columns, line.split("\t"), strict=True))["name"])
    return sorted(n for n in names if n.startswith("pair "))


@pytest.mark.parametrize("vendor", ENGINES)
def test_backup_while_serving_and_restore_every_row(vendor):
    with seeded_database(vendor) as db:
        folder = db.folder
        operator = db.python(OPERATOR, stdin=subprocess.PIPE)
        try:
            assert answer(operator) == {"ready": True}
            assert ask(operator, op="start-reading", urls=READ_URLS) == {"reading": True}

            # 1. A backup while the reader reads.
            before = db.dump()
            first = folder / "first.backup"
            out = ask(operator, op="command", args=["backup", str(first)])["out"]
            assert out.startswith("Backed up ") and str(first) in out and out.count("\n") == 1
            snapshot = db.dump()
            assert_same(before, snapshot, "the database after a backup (nobody wrote)")

            # 2. An editor's changes.
            ask(operator, op="change", delete=DEPORTED, alias="Immigration Police")
            changed = db.dump()
            assert len(changed["archive_article"]) == len(snapshot["archive_article"]) - 1
            assert len(changed["archive_alias"]) == len(snapshot["archive_alias"]) + 1

            if vendor == "postgresql":
                # A restore that fails part way (here at a view of the editors' own, which
                # its DROP TABLE cannot remove) leaves everything as it was.
                with closing(db.connect()) as conn:
                    conn.execute("CREATE VIEW editors_list AS SELECT id FROM archive_article")
                error = ask(operator, op="command", args=["restore", str(first), "--yes"])["error"]
                assert "nothing was replaced" in error and "depend" in error, error
                assert_same(changed, db.dump(), "the database after a failed restore")
                with closing(db.connect()) as conn:
                    conn.execute("DROP VIEW editors_list")

            # 3. Restore: every row as it was at the backup.
            out = ask(operator, op="command", args=["restore", str(first), "--yes"])["out"]
            assert out.startswith("Restored ") and str(first) in out and out.count("\n") == 1
            assert_same(without(snapshot), without(db.dump()), "the restored database")
            assert changed_at(db) > max(r[1] for r in snapshot[STATE][1:])

            # 4. A backup (`manage.py backup`, another process) while the editor commits
            # pairs: the copy holds whole pairs only.
            ask(operator, op="start-pairs")
            wait_for(lambda: len(pairs_in(db)) >= 10, 60, "the editor's first pairs")
            second = folder / "second.backup"
            out = db.manage("backup", str(second)).stdout
            assert out.startswith("Backed up ") and out.count("\n") == 1
            written = ask(operator, op="stop-pairs")["pairs"]
            pairs = pairs_in_backup(vendor, second)
            count = len(pairs) // 2
            assert pairs == sorted(f"pair {i} {s}" for i in range(count) for s in "ab")
            assert 10 <= count <= written, (count, written)
            report = ask(operator, op="stop-reading")
        finally:
            kill(operator)
        # How many pages the reader got through depends on the machine's load (8 on a busy
        # CI run); what matters is that it read throughout and nothing failed.
        assert report["reads"] >= 1 and not report["errors"], (
            report,
            stderr_of(operator),
        )
        print(f"{vendor}: {report['reads']} reads, {written} pairs written, {count} in the backup")


# -- refusals: one line each, before the database is touched ---------------------------

REFUSALS = textwrap.dedent(
    """
    import json, os, sys

    import django

    django.setup()
    from django.core.management import CommandError, call_command

    out = []
    for args, path in json.loads(sys.argv[1]):
        saved = os.environ["PATH"]
        if path is not None:
            os.environ["PATH"] = path
        try:
            call_command(*args)
            out.append("no error")
        except CommandError as exc:
            out.append(str(exc))
        except Exception as exc:
            out.append(f"not a CommandError: {exc!r}")
        finally:
            os.environ["PATH"] = saved
    print(json.dumps(out))
    """
)


def _sqlite_file(path: Path, *statements: str) -> Path:
    with closing(sqlite3.connect(path)) as conn:
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    return path


@pytest.mark.parametrize("vendor", ENGINES)
def test_refusals_are_one_line_and_touch_nothing(vendor, tmp_path):
    """Against a database that does not exist: a refusal that went on to connect would
    fail differently (or, on SQLite, create the file)."""
    if vendor == "sqlite":
        live = tmp_path / "never.sqlite3"
        url = f"sqlite:///{live}"
    else:
        live = None
        url = "postgres://postgres@127.0.0.1:5432/archive_faults_never_created"
    text = tmp_path / "notes.txt"
    text.write_text("not a backup\n")
    no_tools = str(tmp_path / "empty-bin")
    cases = [
        (("restore", str(tmp_path / "missing.backup"), "--yes"), None, "no such file"),
        (("restore", str(tmp_path), "--yes"), None, "not a file"),
        (("restore", str(text)), None, "pass --yes (or --noinput)"),
        (("backup", str(tmp_path / "no-such-dir" / "x.backup")), None, "no such directory"),
        (("backup", str(tmp_path)), None, "is a directory"),
    ]
    if vendor == "sqlite":
        foreign = _sqlite_file(tmp_path / "foreign.sqlite3", "CREATE TABLE t (x)")
        other_app = _sqlite_file(
            tmp_path / "other.sqlite3",
            "CREATE TABLE django_migrations (id integer primary key, app, name, applied)",
            "INSERT INTO django_migrations (app, name, applied) VALUES ('blog', '0001', '')",
        )
        newer = _sqlite_file(
            tmp_path / "newer.sqlite3",
            "CREATE TABLE django_migrations (id integer primary key, app, name, applied)",
            "INSERT INTO django_migrations (app, name, applied) VALUES "
            "('archive', '0001_initial', ''), ('archive', '9999_from_the_future', '')",
        )
        cases += [
            (("restore", str(text), "--yes"), None, "not a SQLite database"),
            (("restore", str(foreign), "--yes"), None, "not a database of this archive"),
            (("restore", str(other_app), "--yes"), None, "no archive migrations"),
            (("restore", str(newer), "--yes"), None, "9999_from_the_future are unknown here"),
            (("backup", str(live)), None, "that is the live database"),
            (("backup", str(tmp_path / "x.backup")), None, "no database file"),
        ]
    else:
        fake = tmp_path / "fake.backup"
        fake.write_bytes(b"PGDMP" + b"\0" * 200)
        cases += [
            (("restore", str(text), "--yes"), None, "not a pg_dump archive"),
            (("restore", str(fake), "--yes"), no_tools, "pg_restore not found on PATH"),
            (("backup", str(tmp_path / "x.backup")), no_tools, "pg_dump not found on PATH"),
        ]
        if shutil.which("pg_restore"):
            cases.append((("restore", str(fake), "--yes"), None, "not a readable pg_dump archive"))
    result = subprocess.run(
        [sys.executable, "-c", REFUSALS, json.dumps([[list(a), p] for a, p, _ in cases])],
        cwd=ROOT,
        env=subprocess_env(url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    messages = json.loads(result.stdout)
    for (args, _, expected), message in zip(cases, messages, strict=True):
        assert expected in message and "\n" not in message, (args, message)
    if live is not None:
        assert not live.exists()
    assert {p.name for p in tmp_path.rglob("*backup*")} <= {"fake.backup"}
