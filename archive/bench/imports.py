"""The import benchmark's pieces (manage.py bench_import): its throwaway database, the
Markdown it generates, a writer that stands in for an editor, and the timed runs.

The database is never the user's: a fresh temp SQLite file (bench-import-<N>-<pid>), or
`archive_bench_import` on the PostgreSQL server named (not bench_search's archive_bench,
so the two benchmarks can run side by side). The helpers of bench/db.py do the work.
"""

import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .db import BenchDatabase, _hide_password, _pg_admin, bench_database

IMPORT_DB_NAME = "archive_bench_import"
PER_FILE = 100  # articles per generated Markdown file


@dataclass
class ImportBenchDatabase(BenchDatabase):
    name: str = IMPORT_DB_NAME

    def describe(self) -> str:
        if self.vendor == "sqlite":
            return f"SQLite file {self.path}"
        return f"PostgreSQL database {self.name} ({_hide_password(self.url)})"

    def create(self) -> None:
        if self.vendor == "sqlite":
            self.drop()
            return
        with _pg_admin(self.admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.vendor == "sqlite":
            super().drop()
            return
        with _pg_admin(self.admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def import_bench_database(database_url: str | None, articles: int) -> ImportBenchDatabase:
    base = bench_database(database_url, articles)
    if base.vendor == "sqlite":
        path = Path(tempfile.gettempdir()) / f"bench-import-{articles}-{os.getpid()}.sqlite3"
        return ImportBenchDatabase("sqlite", f"sqlite:///{path}", path=path)
    parts = urlsplit(base.url)
    url = urlunsplit(parts._replace(path=f"/{IMPORT_DB_NAME}"))
    return ImportBenchDatabase("postgresql", url, admin_url=base.admin_url)


def is_import_bench_database(settings_db: dict) -> bool:
    """Guard for the child: its default database must be this benchmark's."""
    engine, name = settings_db.get("ENGINE", ""), str(settings_db.get("NAME", ""))
    if engine.endswith("sqlite3"):
        path = Path(name)
        return path.name.startswith("bench-import-") and path.parent == Path(tempfile.gettempdir())
    return name == IMPORT_DB_NAME


# -- the material ----------------------------------------------------------------------------
def write_markdown(folder: Path, corpus, n: int, *, changed_every: int = 0) -> list[Path]:
    """N generated articles as Markdown files of PER_FILE articles (the same N articles for
    the same corpus seed). With changed_every=k, every k-th article gains a sentence."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    paths, block = [], []
    for i, article in enumerate(corpus.articles(n), 1):
        body = article.body
        if changed_every and i % changed_every == 0:
            body += " A correction was added to this article after publication."
        front = [f"title: {article.title}", f"source_url: {article.source_url}"]
        if article.published:
            front.append(f"published: {article.published.isoformat()}")
        front.append(f"publication: {article.publication}")
        paragraphs = "\n\n".join(body.split("\n"))
        block.append("---\n" + "\n".join(front) + "\n---\n\n" + paragraphs + "\n")
        if len(block) == PER_FILE or i == n:
            path = folder / f"bench-{len(paths):05d}.md"
            path.write_text("\n".join(block), encoding="utf-8")
            paths.append(path)
            block = []
    return paths


# -- an editor, meanwhile (SQLite) ---------------------------------------------------------
class WriterProbe(threading.Thread):
    """Every `every` seconds, a short write transaction of its own on the SQLite file (what
    an editor's save is), timing how long it waits for the write lock."""

    def __init__(self, path: str, every: float = 0.02):
        super().__init__(daemon=True)
        self.path, self.every = path, every
        self.stop = threading.Event()
        self.waits: list[float] = []
        self.errors: list[str] = []

    def run(self):
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_probe (n INTEGER)")
        while not self.stop.is_set():
            t = time.perf_counter()
            try:
                conn.execute("BEGIN IMMEDIATE")
                self.waits.append(time.perf_counter() - t)
                conn.execute("INSERT INTO bench_probe VALUES (1)")
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self.errors.append(str(exc))
            time.sleep(self.every)
        conn.close()

    @property
    def longest_wait(self) -> float:
        return max(self.waits, default=0.0)


@dataclass
class Run:
    name: str
    articles: int
    seconds: float  # the whole import, as import_seeds does it
    importer_seconds: float  # importer.run alone
    transaction_seconds: float  # first write transaction's start to the last one's end
    longest_transaction: float  # the longest of them (SQLite: the write lock, at a time)
    probe_longest_wait: float | None = None
    stats: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0
