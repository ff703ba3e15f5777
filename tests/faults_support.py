"""Throwaway databases for the tests of faults, backups and concurrency (defined once).

These tests need what the in-memory test database cannot give: a real file or a real
server database, written by other processes (`manage.py` in a subprocess, a web server, a
process killed half-way). So each test gets its own database, never the developer's:

- SQLite: a file in a temporary folder;
- PostgreSQL: `archive_faults_<pid>_<n>` on the server of PG_TEST_URL (or DATABASE_URL when
  that is PostgreSQL), created and dropped through its maintenance database.

Each is a copy of a template this process migrates and seeds once per engine (`migrate` +
`import_seeds` in a subprocess), so a test starts from the seeded archive in a fraction of
a second. `dump_rows` reads every row of every table straight through the database driver,
so a comparison depends on nothing the archive's code does.
"""

import atexit
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from .spec import ROOT

ENGINES = ("sqlite", "postgresql")
_DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
_counter = itertools.count(1)


def pg_server_url() -> str:
    """The PostgreSQL server to make throwaway databases on (its maintenance database)."""
    url = os.environ.get("DATABASE_URL", "")
    if not urlsplit(url).scheme.startswith("postgres"):
        url = os.environ.get("PG_TEST_URL") or _DEFAULT_PG
    return urlunsplit(urlsplit(url)._replace(path="/postgres", query=""))


def _libpq(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def _pg_admin():
    import psycopg

    return psycopg.connect(_libpq(pg_server_url()), autocommit=True, connect_timeout=3)


_pg_reason: list[str] = []


def pg_unavailable() -> str:
    """Why PostgreSQL cannot be used ("" when it answers); asked once per process."""
    if not _pg_reason:
        try:
            with _pg_admin():
                _pg_reason.append("")
        except Exception as exc:  # any failure to connect means "skip"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _pg_reason.append(f"no PostgreSQL answers at {pg_server_url()}: {first}")
    return _pg_reason[0]


def subprocess_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `manage.py` (or Django script) run against `database_url`."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_NAME"}
    return env | {
        "DJANGO_SETTINGS_MODULE": "archive.settings",
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        # An editor's change of names relinks in the same process, never a detached one.
        "RELINK_RUNNER": "inline",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


_SEPARATOR = "\n=== next command ===\n"
_COMMANDS = f"""
import json, sys
import django
django.setup()
from django.core.management import call_command
for args in json.loads(sys.argv[1]):
    sys.stdout.write({_SEPARATOR!r})
    call_command(*args)
"""


def _outputs(proc: subprocess.Popen, commands, timeout: float) -> list[str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, (commands, out[-2000:], err[-3000:])
    return out.split(_SEPARATOR)[1:]


@dataclass
class Database:
    """One throwaway database and the ways the tests use it."""

    vendor: str
    url: str
    path: Path | None = None  # SQLite: the file
    name: str = ""  # PostgreSQL: the database
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="archive-faults-")))

    @property
    def param(self) -> str:
        """The driver's placeholder for a query parameter."""
        return "?" if self.vendor == "sqlite" else "%s"

    def env(self, **extra: str) -> dict[str, str]:
        return subprocess_env(self.url, **extra)

    def manage(self, *args: str, check: bool = True, timeout: float = 120, **env: str):
        """`manage.py ARGS` against this database; asserts success unless check=False."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check:
            assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-3000:])
        return result

    def start_commands(self, *commands: tuple[str, ...]) -> subprocess.Popen:
        """Several management commands in one process (one Django start-up), started."""
        return subprocess.Popen(
            [sys.executable, "-c", _COMMANDS, json.dumps(commands)],
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def commands(self, *commands: tuple[str, ...], timeout: float = 300) -> list[str]:
        """Run several management commands in one process; the output of each. Asserts
        every one succeeds."""
        return _outputs(self.start_commands(*commands), commands, timeout)

    def python(self, code: str, *args: str, **popen) -> subprocess.Popen:
        """Start `python -c CODE ARGS` with Django set up for this database (the code calls
        django.setup() itself, so it may patch modules before or after). Its stderr goes to
        a file (`stderr_of`), so a chatty child never blocks on a full pipe."""
        popen.setdefault("stdout", subprocess.PIPE)
        log = self.folder / f"child-{next(_counter)}.stderr"
        with open(log, "w") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-c", code, *args],
                cwd=ROOT,
                env=self.env(**popen.pop("env", {})),
                text=True,
                stderr=stderr,
                **popen,
            )
        proc.log = log
        return proc

    def connect(self):
        """A plain DB-API connection (sqlite3 or psycopg), outside Django."""
        if self.vendor == "sqlite":
            return sqlite3.connect(self.path, timeout=20)
        import psycopg

        return psycopg.connect(_libpq(self.url), autocommit=True)

    def count(self, table: str) -> int:
        with closing(self.connect()) as conn:
            return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]

    def dump(self) -> dict[str, list[tuple]]:
        return dump_rows(self)

    def drop(self) -> None:
        if self.vendor == "postgresql":
            _drop_pg(self.name)
        shutil.rmtree(self.folder, ignore_errors=True)


def _tables(conn, vendor: str) -> list[str]:
    if vendor == "sqlite":
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        return [r[0] for r in rows]
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm') ORDER BY c.relname"
    ).fetchall()
    return [r[0] for r in rows]


def _sort_key(row: tuple) -> tuple:
    return tuple((0, v, "") if isinstance(v, int | float) else (1, 0, repr(v)) for v in row)


def dump_rows(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table (SQLite: also the search index's own tables, the statistics
    and the AUTOINCREMENT counters; PostgreSQL: also materialized views), each table's rows
    sorted by their columns, the first being the primary key."""
    with closing(db.connect()) as conn:
        out = {}
        for table in _tables(conn, db.vendor):
            cols = [
                c[0] for c in conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description or []
            ]
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            out[table] = [tuple(cols)] + sorted((tuple(r) for r in rows), key=_sort_key)
        return out


def differences(before: dict, after: dict, limit: int = 3) -> list[str]:
    """What differs between two dumps, table by table (empty when they are equal)."""
    out = []
    for table in sorted(before.keys() | after.keys()):
        a, b = before.get(table), after.get(table)
        if a == b:
            continue
        if a is None or b is None:
            out.append(f"{table}: only {'after' if a is None else 'before'}")
            continue
        ra, rb = list(map(repr, a[1:])), list(map(repr, b[1:]))
        gone = [r for r in ra if r not in set(rb)]
        new = [r for r in rb if r not in set(ra)]
        out.append(
            f"{table}: {len(a) - 1} rows before, {len(b) - 1} after; "
            f"gone {gone[:limit]}, new {new[:limit]}" + ("; columns differ" if a[0] != b[0] else "")
        )
    return out


def assert_same(before: dict, after: dict, what: str) -> None:
    diff = differences(before, after)
    assert not diff, f"{what}:\n" + "\n".join(diff)


# --- templates and copies ---------------------------------------------------------------

_templates: dict[str, Database] = {}


def _drop_pg(name: str) -> None:
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _new_database(vendor: str, label: str) -> Database:
    if vendor == "sqlite":
        db = Database("sqlite", "")
        db.path = db.folder / f"{label}.sqlite3"
        db.url = f"sqlite:///{db.path}"
        return db
    name = f"archive_faults_{os.getpid()}_{label}"
    parts = urlsplit(pg_server_url())
    return Database("postgresql", urlunsplit(parts._replace(path=f"/{name}")), name=name)


def _drop_stale_pg() -> None:
    """Drop the databases of earlier runs killed before they could (their process is gone);
    only on a server on this machine, where those process ids mean something."""
    # Whether a process still runs: the importer's own test (it decides which runs it
    # undoes), imported here, where Django is set up.
    from archive.ingest.importer import _alive
    if urlsplit(pg_server_url()).hostname not in (None, "", "127.0.0.1", "localhost", "::1"):
        return
    with _pg_admin() as admin:
        rows = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'archive\\_faults\\_%'"
        ).fetchall()
        for (name,) in rows:
            pid = name.split("_")[2]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_building: dict[str, tuple[Database, subprocess.Popen]] = {}
_SEED = (("migrate", "--noinput", "--verbosity=0"), ("import_seeds",))


def prepare(*vendors: str) -> None:
    """Start making this process's templates for `vendors` (migrated and seeded), in the
    background and side by side; the first test to need one waits for it. PostgreSQL is
    left out when none answers (its tests skip)."""
    for vendor in vendors:
        if vendor in _templates or vendor in _building:
            continue
        if vendor == "postgresql" and pg_unavailable():
            continue
        db = _new_database(vendor, "template")
        if vendor == "postgresql":
            _drop_stale_pg()
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{db.name}"')
        atexit.register(db.drop)
        proc = db.start_commands(*_SEED)
        atexit.register(kill, proc)  # (runs first: a build still going when tests end)
        _building[vendor] = (db, proc)


def _template(vendor: str) -> Database:
    """This process's migrated, seeded database for `vendor`."""
    if vendor not in _templates:
        prepare(vendor)
        db, proc = _building.pop(vendor)
        _outputs(proc, _SEED, timeout=300)
        if vendor == "sqlite":
            with closing(sqlite3.connect(db.path)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _templates[vendor] = db
    return _templates[vendor]


def _copy(template: Database) -> Database:
    db = _new_database(template.vendor, str(next(_counter)))
    if db.vendor == "sqlite":
        with (
            closing(sqlite3.connect(template.path)) as src,
            closing(sqlite3.connect(db.path)) as dst,
        ):
            src.backup(dst)
        return db
    # CREATE DATABASE ... TEMPLATE needs the template idle; a subprocess that just exited
    # may still be leaving the server for a moment.
    with _pg_admin() as admin:
        for attempt in range(50):
            try:
                admin.execute(f'CREATE DATABASE "{db.name}" TEMPLATE "{template.name}"')
                break
            except Exception as exc:
                if "being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
    return db


@contextmanager
def seeded_database(vendor: str) -> Iterator[Database]:
    """A new database holding the migrated, seeded archive; dropped afterwards. Skips the
    test when the engine is PostgreSQL and none answers."""
    if vendor == "postgresql" and (reason := pg_unavailable()):
        pytest.skip(reason)
    db = _copy(_template(vendor))
    try:
        yield db
    finally:
        db.drop()


# --- processes --------------------------------------------------------------------------


def stderr_of(proc: subprocess.Popen, limit: int = 3000) -> str:
    """The end of what a child started by Database.python wrote to stderr."""
    log = getattr(proc, "log", None)
    return log.read_text(errors="replace")[-limit:] if log and log.exists() else ""


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    """Poll `predicate` until it is true; fail (with the process's stderr) when `proc` ends
    first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(
                f"{what}: the process ended first (rc={proc.returncode}): {stderr_of(proc)}"
            )
        time.sleep(0.02)
    pytest.fail(f"{what}: not within {timeout} s")


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL: no handler, no cleanup, no rollback by the process itself."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[str, str]:
    """(stdout, stderr) of a child asked to stop; killed if it does not within `timeout`."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(proc)
        pytest.fail(f"the process did not stop within {timeout} s: {stderr_of(proc)}")
    return out or "", stderr_of(proc)
