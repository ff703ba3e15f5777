"""The throwaway benchmark database: never the development or production one.

The benchmark runs in a child process whose DATABASE_URL names the bench database, so no
connection of the parent (which may point at the dev database) is ever used for it:
- SQLite: a fresh file <tmp>/bench-<N>.sqlite3 (plus its -wal/-shm), deleted afterwards;
- PostgreSQL: `archive_bench_<articles>` on the same server (dropped if it exists, created empty),
  created and dropped through the server's maintenance connection.
"""

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

BENCH_DB_NAME = "archive_bench"


@dataclass
class BenchDatabase:
    vendor: str  # "sqlite" | "postgresql"
    url: str  # DATABASE_URL for the bench database
    admin_url: str = ""  # PostgreSQL: where CREATE/DROP DATABASE run
    path: Path | None = None  # SQLite file

    @property
    def db_name(self) -> str:
        """PostgreSQL: the database's name (archive_bench_<articles>)."""
        return urlsplit(self.url).path.lstrip("/")

    def describe(self) -> str:
        if self.vendor == "sqlite":
            return f"SQLite file {self.path}"
        return f"PostgreSQL database {self.db_name} ({_hide_password(self.url)})"

    def create(self) -> None:
        if self.vendor == "sqlite":
            self.drop()
            return
        with _pg_admin(self.admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db_name}"')

    def run_child(self, command: str, opts: dict, names, stderr) -> int:
        """Create this database, run `manage.py <command> --child` in it (the option
        `names` passed on, and --json), then drop it unless opts["keep"]: what every bench
        command's parent does. Returns the child's exit status."""
        stderr.write(f"Bench database: {self.describe()}")
        self.create()
        cmd = [sys.executable, str(settings.BASE_DIR / "manage.py"), command, "--child"]
        for name in names:
            cmd += [f"--{name}", str(opts[name])]
        if opts["json"]:
            cmd.append("--json")
        env = {**os.environ, "DATABASE_URL": self.url}
        try:
            sys.stdout.flush()
            return subprocess.call(cmd, env=env, cwd=settings.BASE_DIR)
        finally:
            if opts["keep"]:
                stderr.write(f"Kept: {self.describe()} (DATABASE_URL={self.url})")
            else:
                self.drop()

    def drop(self) -> None:
        if self.vendor == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                p = Path(f"{self.path}{suffix}")
                if p.exists():
                    p.unlink()
            return
        with _pg_admin(self.admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _pg_admin(url: str):
    import psycopg

    return psycopg.connect(_libpq_url(url), autocommit=True)


def _libpq_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit(parts._replace(scheme=scheme))


def bench_database(database_url: str | None, articles: int) -> BenchDatabase:
    """The bench database for `database_url` (PostgreSQL) or a temp SQLite file (otherwise)."""
    url = database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(url).scheme if url else ""
    if scheme.startswith("postgres") or scheme == "pgsql":
        parts = urlsplit(url)
        current = parts.path.lstrip("/")
        # CREATE/DROP DATABASE cannot run while connected to the database itself.
        admin_db = "postgres" if current == "" or current.startswith(BENCH_DB_NAME) else current
        admin_url = urlunsplit(parts._replace(path=f"/{admin_db}", query=""))
        # One database per size, as SQLite has one file per size: a small run (the test
        # suite's) never drops the 100,000-article database someone kept to measure on.
        bench_url = urlunsplit(parts._replace(path=f"/{BENCH_DB_NAME}_{articles}"))
        return BenchDatabase("postgresql", bench_url, admin_url=admin_url)
    if scheme and scheme not in ("sqlite", "spatialite"):
        raise ValueError(f"Unsupported database for the benchmark: {scheme}://")
    path = Path(tempfile.gettempdir()) / f"bench-{articles}.sqlite3"
    return BenchDatabase("sqlite", f"sqlite:///{path}", path=path)


def is_bench_database(settings_db: dict) -> bool:
    """Guard for the child: its default database must be a bench database."""
    engine, name = settings_db.get("ENGINE", ""), str(settings_db.get("NAME", ""))
    if engine.endswith("sqlite3"):
        return Path(name).name.startswith("bench-") and Path(name).parent == Path(
            tempfile.gettempdir()
        )
    return name.startswith(BENCH_DB_NAME)
