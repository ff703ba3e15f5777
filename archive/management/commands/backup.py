"""`manage.py backup PATH`: a consistent copy of the live database, taken while the site serves.

SQLite: SQLite's online backup API copies every page inside one read transaction, so the
copy is one moment of the database however many requests or imports write meanwhile (in
WAL mode they are not even held up). PostgreSQL: `pg_dump --format=custom`, which reads
one snapshot. Either way the copy is written beside PATH and renamed into place only when
complete, so a backup that fails or is killed never leaves a truncated file named PATH.

`manage.py restore PATH` brings a copy back (restore.py); the helpers both commands share
(finding the client tools, passing connection parameters) live here.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.loader import MigrationLoader

APP = "archive"
SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
# libpq reads these from the environment; OPTIONS keys of the same meaning map onto them.
PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def database() -> dict:
    return settings.DATABASES["default"]


def vendor() -> str:
    engine = database()["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise CommandError(f"backup/restore support SQLite and PostgreSQL, not {engine}.")


def sqlite_path() -> Path:
    name = str(database()["NAME"])
    if not name or name == ":memory:" or "mode=memory" in name:
        raise CommandError("The database is in memory: there is no file to back up or restore.")
    return Path(name).resolve()


def sqlite_timeout() -> float:
    return float(database().get("OPTIONS", {}).get("timeout", 20))


def describe_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024:
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def code_migrations() -> set[str]:
    """The archive migrations this code has (on disk)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {name for app, name in loader.disk_migrations if app == APP}


def sqlite_archive_migrations(conn: sqlite3.Connection, path) -> set[str]:
    """The archive migrations applied in a SQLite file, or a CommandError when there are none
    (not a database of this project)."""
    try:
        names = {
            r[0] for r in conn.execute("SELECT name FROM django_migrations WHERE app = ?", [APP])
        }
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"{path}: not a database of this archive ({exc}).") from None
    if not names:
        raise CommandError(f"{path}: not a database of this archive (no archive migrations).")
    return names


# --- PostgreSQL client tools -----------------------------------------------------------


def require_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise CommandError(
            f"{name} not found on PATH: install the PostgreSQL client tools "
            "(e.g. apt install postgresql-client) of the server's major version or newer."
        )
    return found


def tool_major(tool: str) -> int:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise CommandError(f"{tool} --version printed no version: {out.strip()!r}")
    return int(match.group(1))


def server_major() -> int:
    """The server's major version, asked over a plain connection (not the site's pool, which
    would retry for its whole timeout): a server that does not answer is one line."""
    import psycopg

    db = database()
    params = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": db["NAME"],
        "connect_timeout": 10,
    }
    params |= {k: v for k, v in db.get("OPTIONS", {}).items() if k in PG_OPTION_ENV}
    try:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
            version = conn.info.server_version  # e.g. 150020
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CommandError(f"Cannot connect to the {describe_pg()}: {first}") from None
    return version // 10000 if version >= 100000 else version // 100


def check_tool_version(tool: str) -> int:
    """The server's major version; refuses a tool older than the server (pg_dump cannot read
    a newer server's catalogue)."""
    tool_version, server = tool_major(tool), server_major()
    if tool_version < server:
        raise CommandError(
            f"{Path(tool).name} {tool_version} is older than the PostgreSQL {server} server; "
            f"install the version {server} client tools (or newer)."
        )
    return server


def pg_env() -> dict[str, str]:
    """The connection parameters as libpq environment variables: the password never appears
    on a command line (where `ps` shows it)."""
    db = database()
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    for key, var in PG_OPTION_ENV.items():
        if db.get("OPTIONS", {}).get(key) not in (None, ""):
            env[var] = str(db["OPTIONS"][key])
    return env


def describe_pg() -> str:
    db = database()
    where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    return f"PostgreSQL database {db['NAME']} on {where}"


def last_line(text: str) -> str:
    """The error in a tool's messages: its (last) ERROR line, else its last line."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR:" in line or "error:" in line]
    return re.sub(r"^psql:\S+:\d+: ", "", (errors or lines or ["(no message)"])[-1])


# --- the command ------------------------------------------------------------------------


def check_target(path: Path) -> None:
    if path.exists() and path.is_dir():
        raise CommandError(f"{path}: is a directory; give the backup file's name.")
    if not path.parent.is_dir():
        raise CommandError(f"{path.parent}: no such directory.")
    if not os.access(path.parent, os.W_OK):
        raise CommandError(f"{path.parent}: not writable.")


def backup_sqlite(target: Path, partial: Path) -> str:
    live = sqlite_path()
    if target.resolve() in {live, Path(f"{live}-wal"), Path(f"{live}-shm")}:
        raise CommandError(f"{target}: that is the live database; back up to another file.")
    if not live.is_file():
        raise CommandError(f"{live}: no database file (run `manage.py migrate` first).")
    src = sqlite3.connect(live, timeout=sqlite_timeout())
    try:
        migrations = sqlite_archive_migrations(src, live)
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: every page in one step, inside one read transaction: one moment.
            src.backup(dst)
            # One self-contained file (no -wal beside it), checked before it is kept.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise CommandError(f"The copy failed its check ({check}); nothing was kept.")
        finally:
            dst.close()
    finally:
        src.close()
    return f"SQLite database {live} ({len(migrations)} archive migrations)"


def backup_postgresql(target: Path, partial: Path) -> str:
    pg_dump = require_tool("pg_dump")
    check_tool_version(pg_dump)
    result = subprocess.run(
        [pg_dump, "--format=custom", f"--file={partial}", "--no-password"],
        env=pg_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CommandError(f"pg_dump failed: {last_line(result.stderr)}")
    return describe_pg()


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the database to PATH while the site keeps serving "
        "(SQLite: the online backup API; PostgreSQL: pg_dump --format=custom). "
        "`manage.py restore PATH` brings it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file to write (replaced if it exists).")

    def handle(self, *args, path, **options):
        target = Path(path).expanduser()
        check_target(target)
        kind = vendor()
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
        started = time.monotonic()
        try:
            if kind == "sqlite":
                what = backup_sqlite(target, partial)
            else:
                what = backup_postgresql(target, partial)
            with open(partial, "rb") as f:
                os.fsync(f.fileno())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        size = describe_size(target.stat().st_size)
        self.stdout.write(
            f"Backed up {what} to {target} ({size}, {time.monotonic() - started:.2f} s)."
        )
