"""The import: read seeds, sync the catalogue, store articles, link entities.

At bulk speed (issue 9), in two phases:
1. Plan, outside any transaction (on SQLite: no write lock; readers and editors carry on):
   hash every file; a file whose fingerprint (its bytes, manifest entry, reading rules:
   readers.fingerprint) matches its ImportedFile record is not parsed: its articles stand
   as ghosts (what the record says of each), checked against what is stored, so an article
   an editor changed or that is no longer stored sends the file to be read after all. Then
   read and check every other file; read what is stored for its articles (one query per
   BATCH); for each article that is new or changed, link it and look for candidate entities
   (linking.Finder, discovery.find), in several processes when there are many.
2. Write. What the plan read is read again inside, so a change made meanwhile by an editor
   is seen; a plan made with another catalogue than the one now stored is not used (every
   article is relinked inside). On SQLite the new articles' full-text entries are written
   by one statement per index instead of a trigger per row (DeferredIndex).
   - Usually one transaction: the catalogue sync, an INSERT per new article, an UPDATE per
     changed one, mentions and candidates in bulk, the files' records.
   - A *staged run*, on SQLite when there are more than WRITE_BATCH new articles: the new
     articles (each with its mentions and index entries) are written first, WRITE_BATCH per
     short transaction (~0.5 s of write lock each), each adding their ids to the run's
     ImportRun row; then the last transaction does the rest, as above, and marks the run
     done. An editor's save waits at most one batch, never the whole import.

What "atomic per run" means (README, "Importing more material"):
- Bad input changes nothing: every file is read and checked before the first write.
- A run of one transaction (PostgreSQL always; SQLite up to WRITE_BATCH new articles) is
  all or nothing in the database's own sense: nobody sees any of it before it commits.
- A staged run is all or nothing in its outcome: if anything fails after its first batch
  (an error, an interrupt), it deletes every article it created (undo: newest first, a batch
  per transaction, resumable) before the error is raised; if its process is killed, the
  next import undoes it first (recover), since the run row still says "writing". Nothing of
  a failed run stays. What it gives up: while it runs, readers see its new articles appear
  a batch at a time, each complete (article, mentions, index entries), before the catalogue
  changes and candidates of the run, which come with its last transaction. Why not hide
  them until a publish step: every public query (pages, search on both engines, feeds, API,
  sitemap, admin) would need the filter, and the full-text index work, which is what holds
  the lock, would all fall in the publish step anyway.
The alternative, one transaction for everything, held SQLite's write lock ~5 ms a new
article: 52 s for 10,000, past the 20 s an editor's save waits (docs/benchmarks.md).

An unchanged article is skipped before any work: its import_hash (every imported field)
and linked_with (the catalogue's version) both match, and no field an editor handed back
differs. A catalogue that changes names still relinks every article, inside the
transaction, as before. An article is recognised by its identity
(Article.source_key: its source address, else its file and text), never by its slug, so a
new article never replaces another; a new one's slug is made unique. Editors' work is never
undone:
- an article an editor deleted is not brought back (a Suppression of its source_key);
- article fields listed in Article.edited_fields are not overwritten;
- a mention an editor added, confirmed or rejected keeps its state;
- candidates an editor approved or rejected are not proposed again.
(An article a failed staged run had created is deleted with everything attached to it,
an editor's mention on it included: it did not exist before the run.)

After-import work that belongs to search (the spelling vocabulary, statistics) is run by
whoever runs the import (`import_seeds`), not from here: ingest never calls into search.
"""

import datetime as dt
import functools
import hashlib
import json
import multiprocessing as mp
import os
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from .. import state
from ..models import (
    ArchiveState,
    Article,
    Candidate,
    Entity,
    ImportedFile,
    ImportRun,
    Mention,
    Suppression,
)
from ..models.articles import ARTICLE_CURATED_FIELDS
from ..names.linker import Linker, build_linker, entity_names
from . import IngestError, catalogue, discovery, linking, readers
from .readers import SLUG_LIMIT, RawArticle, load_manifest, read_path

ARTICLE_FIELDS = ("title", "body", "published", "publication", "source_url", "dept", "facts_note")
SEED_SUFFIXES = {".txt", ".md", ".markdown"}


SUMMARY_KEYS = (
    "articles_created",
    "articles_updated",
    "articles_unchanged",
    "articles_left_alone",
    "article_fields_left_alone",
    "mentions_total",
    "mentions_created",
    "mentions_updated",
    "mentions_removed",
    "mentions_left_alone",
    "entities_total",
    "entities_created",
    "entities_updated",
    "entities_unchanged",
    "entity_fields_left_alone",
    "entities_left_alone",
    "aliases_created",
    "aliases_removed",
    "relationships_created",
    "relationships_updated",
    "relationships_unchanged",
    "relationships_left_alone",
    "relationships_skipped",
    "statuses_created",
    "statuses_updated",
    "statuses_unchanged",
    "candidates_created",
    "candidates_pending",
)


@dataclass
class Summary:
    stats: Counter = field(default_factory=Counter)
    new_candidates: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    dry_run: bool = False
    # From the first write transaction's start to the last one's end; and the longest one
    # (on SQLite, the longest the write lock was held at a time).
    transaction_seconds: float = 0.0
    longest_transaction: float = 0.0

    @property
    def changed(self) -> bool:
        keys = (
            "articles_created",
            "articles_updated",
            "mentions_created",
            "mentions_updated",
            "mentions_removed",
            "entities_created",
            "entities_updated",
            "aliases_created",
            "aliases_removed",
            "relationships_created",
            "relationships_updated",
            "statuses_created",
            "statuses_updated",
            "candidates_created",
        )
        return any(self.stats[k] for k in keys)

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "changed": self.changed,
            "files": self.files,
            **{k: self.stats[k] for k in sorted({*SUMMARY_KEYS, *self.stats})},
            "new_candidates": self.new_candidates,
        }

    def lines(self) -> list[str]:
        s = self.stats
        out = [
            f"Files: {', '.join(self.files)}",
            f"Articles: {s['articles_created']} created, {s['articles_updated']} updated, "
            f"{s['articles_unchanged']} unchanged"
            + (
                f"; {s['articles_left_alone']} deleted by editors left alone"
                if s["articles_left_alone"]
                else ""
            )
            + (
                f"; {s['article_fields_left_alone']} editor-set fields left alone"
                if s["article_fields_left_alone"]
                else ""
            ),
            f"Mentions: {s['mentions_total']} in all ({s['mentions_created']} created, "
            f"{s['mentions_updated']} updated, {s['mentions_removed']} removed, "
            f"{s['mentions_left_alone']} set by editors left alone)",
            f"Entities: {s['entities_total']} in all ({s['entities_created']} created, "
            f"{s['entities_updated']} updated, {s['entities_unchanged']} unchanged"
            + (
                f", {s['entity_fields_left_alone']} editor-set fields left alone"
                if s["entity_fields_left_alone"]
                else ""
            )
            + ")",
            f"Relationships: {s['relationships_created']} created, "
            f"{s['relationships_updated']} updated, {s['relationships_unchanged']} unchanged, "
            f"{s['relationships_left_alone']} edited left alone; "
            f"program statuses: {s['statuses_created']} created",
            f"Candidate entities: {s['candidates_created']} new, "
            f"{s['candidates_pending']} waiting for review",
        ]
        for c in self.new_candidates:
            out.append(
                f"  + {c['name']}"
                + (f" ({c['acronym']})" if c["acronym"] else "")
                + f" — {c['article']}"
            )
        if self.dry_run:
            out.append("Dry run: nothing was written.")
        elif not self.changed:
            out.append("No changes: the database already matched the seeds.")
        return out


class _DryRun(Exception):
    pass


def seed_paths(paths: list[str] | None) -> list[Path]:
    if paths:
        out = []
        for p in map(Path, paths):
            if p.is_dir():
                out += sorted(q for q in p.iterdir() if q.suffix.lower() in SEED_SUFFIXES)
            elif not p.exists():
                raise IngestError(f"{p}: no such file or directory")
            else:
                out.append(p)
        return out
    return sorted(
        q for q in Path(settings.SEEDS_DIR).iterdir() if q.suffix.lower() in SEED_SUFFIXES
    )


BATCH = 500  # articles per query when reading what is stored, and per bulk write


def import_hash(raw: RawArticle) -> str:
    """A hash of everything the import stores from `raw` (Article.import_hash); the body
    by its own hash, already computed (content_hash)."""
    values = [repr(getattr(raw, f)) for f in ARTICLE_FIELDS if f != "body"]
    values += [raw.content_hash, raw.seed_file, str(raw.seed_line), raw.source_key]
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()


def _chunks(items: list, size: int = BATCH):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# What is read of a stored article to decide whether a raw one needs any work.
STORED_FIELDS = ("id", "source_key", "slug", "import_hash", "linked_with", "edited_fields")


@dataclass
class Stored:
    id: int
    slug: str
    import_hash: str | None
    linked_with: str | None
    edited_fields: list
    curated: dict  # the curated fields as stored


def read_stored(raws: "list[RawArticle] | list[Ghost]") -> dict[str, Stored]:
    """What is stored for these articles, by source_key: one query per BATCH."""
    out = {}
    curated = list(ARTICLE_CURATED_FIELDS)
    for chunk in _chunks([r.source_key for r in raws]):
        for row in Article.objects.filter(source_key__in=chunk).values(*STORED_FIELDS, *curated):
            out[row["source_key"]] = Stored(
                row["id"],
                row["slug"],
                row["import_hash"],
                row["linked_with"],
                row["edited_fields"] or [],
                {f: row[f] for f in curated} | {"published": _jsonable(row["published"])},
            )
    return out


def _handed_back(raw: "RawArticle | Ghost", stored: Stored) -> tuple[bool, int]:
    """Whether a curated field no editor holds differs from the file (an editor handed it
    back to the import), and how many editor-held fields differ (left alone)."""
    given = raw.curated if isinstance(raw, Ghost) else _curated(raw)
    differs = [f for f in ARTICLE_CURATED_FIELDS if stored.curated[f] != given[f]]
    held = [f for f in differs if f in stored.edited_fields]
    return len(held) < len(differs), len(held)


def unchanged(raw: "RawArticle | Ghost", stored: Stored | None, version: str, hashes: dict) -> bool:
    return (
        stored is not None
        and stored.import_hash == hashes[raw.source_key]
        and stored.linked_with == version
        and not _handed_back(raw, stored)[0]
    )


def _jsonable(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _curated(raw: RawArticle) -> dict:
    """The curated fields as the file gives them, as JSON holds them (ImportedFile)."""
    return {f: _jsonable(getattr(raw, f)) for f in ARTICLE_CURATED_FIELDS}


@dataclass
class Ghost:
    """An article of a file skipped unread (its fingerprint matches its ImportedFile):
    what the file's last import recorded of it, enough to decide against what is stored
    that it needs no work (`unchanged`, as for a raw article) and to count it. At any
    doubt the file is read after all."""

    source_key: str
    hash: str
    curated: dict  # the curated fields as the file gives them (_curated)
    where: str
    slug: str  # the slug the file gives, else ""
    path: Path

    @classmethod
    def of(cls, raw: RawArticle, hashed: str, path: Path) -> "Ghost":
        slug = raw.slug if raw.slug_given else ""
        return cls(raw.source_key, hashed, _curated(raw), raw.where, slug, path)

    def record(self) -> dict:
        return {
            "key": self.source_key,
            "hash": self.hash,
            "curated": self.curated,
            "where": self.where,
            "slug": self.slug,
        }

    @classmethod
    def from_record(cls, row: dict, path: Path) -> "Ghost":
        return cls(row["key"], row["hash"], row["curated"], row["where"], row["slug"], path)


@dataclass
class Reading:
    """Phase 1's reading: the articles of the files read, the ghosts of the files skipped."""

    manifest: dict
    raws: list[RawArticle] = field(default_factory=list)
    by_file: dict[Path, list[RawArticle]] = field(default_factory=dict)
    prints: dict[Path, str] = field(default_factory=dict)  # fingerprint of each file read
    ghosts: dict[Path, list[Ghost]] = field(default_factory=dict)
    stored_ghosts: dict = field(default_factory=dict)  # what confirm_ghosts read

    def read(self, path: Path, data: bytes | None = None) -> list[RawArticle]:
        if data is None:
            data = readers.read_bytes(path)
        self.prints[path] = readers.fingerprint(path, data, self.manifest)
        raws = self.by_file[path] = read_path(path, self.manifest, data)
        self.raws += raws
        self.ghosts.pop(path, None)
        return raws

    def all_ghosts(self) -> list[Ghost]:
        return [g for gs in self.ghosts.values() for g in gs]


def _file_key(path: Path) -> str:
    return str(path.resolve())


def read_files(files: list[Path], manifest: dict, *, skip: bool = True) -> Reading:
    """Read every file but one whose fingerprint matches its ImportedFile record: that one
    is only hashed (no parsing, no checks: its bytes were read and checked before), and its
    articles stand as ghosts."""
    reading = Reading(manifest)
    records: dict[str, tuple[str, list]] = {}
    if skip:
        for chunk in _chunks([_file_key(f) for f in files]):
            rows = ImportedFile.objects.filter(path__in=chunk)
            records.update(
                (p, (fp, a)) for p, fp, a in rows.values_list("path", "fingerprint", "articles")
            )
    for f in files:
        data = readers.read_bytes(f)
        record = records.get(_file_key(f))
        if record is not None and record[0] == readers.fingerprint(f, data, manifest):
            reading.ghosts[f] = [Ghost.from_record(row, f) for row in record[1]]
        else:
            reading.read(f, data)
    return reading


def _ghost_unchanged(g: Ghost, stored: "Stored | None", version: str, deleted: set) -> bool:
    """Whether a skipped file's article needs no work: stored as its file had it, linked
    with this catalogue and no field handed back; or deleted by an editor (left alone)."""
    if stored is None:
        return g.source_key in deleted
    return unchanged(g, stored, version, {g.source_key: g.hash})


def _deleted_keys() -> set[str]:
    return set(
        Suppression.objects.filter(what=Suppression.What.ARTICLE).values_list("key", flat=True)
    )


def confirm_ghosts(reading: Reading, version: str) -> None:
    """Read every skipped file one of whose articles is not as its record says (changed
    by an editor, or no longer stored): the ghosts stand only for articles with no work."""
    ghosts = reading.all_ghosts()
    if not ghosts:
        return
    stored = reading.stored_ghosts = read_stored(ghosts)
    deleted = _deleted_keys()
    for path, gs in list(reading.ghosts.items()):
        if not all(_ghost_unchanged(g, stored.get(g.source_key), version, deleted) for g in gs):
            reading.read(path)


def record_files(reading: Reading, hashes: dict[str, str]) -> None:
    """Remember each file read now (ImportedFile), so an unchanged file is skipped next
    time. Written in the run's last transaction: a run that fails records nothing."""
    if not reading.by_file:
        return
    rows = []
    for path, raws in reading.by_file.items():
        ghosts = [Ghost.of(raw, hashes[raw.source_key], path).record() for raw in raws]
        rows.append(
            ImportedFile(path=_file_key(path), fingerprint=reading.prints[path], articles=ghosts)
        )
    keys = [r.path for r in rows]
    for chunk in _chunks(keys):
        ImportedFile.objects.filter(path__in=chunk).delete()
    ImportedFile.objects.bulk_create(rows, batch_size=BATCH)


@dataclass
class Plan:
    """What phase 1 worked out, outside the transaction."""

    version: str
    hashes: dict[str, str]  # source_key -> import_hash
    found: dict[str, dict]  # content_hash -> linker.find result, for the work to do
    candidates: dict[str, list] = field(default_factory=dict)  # content_hash -> discovery
    new: list[RawArticle] = field(default_factory=list)  # not stored, not deleted
    # Answers still being worked out by the analysing processes, in the order of the work:
    # a staged run writes its first batches while they work on the rest (ready()).
    pending: Iterator[tuple[str, tuple[dict, list]]] | None = None
    pool: ProcessPoolExecutor | None = None

    def ready(self, content_hashes=None) -> None:
        """Wait for these bodies' answers (every body's, when None)."""
        missing = None if content_hashes is None else set(content_hashes) - self.found.keys()
        while self.pending is not None and (missing is None or missing):
            try:
                key, (found, candidates) = next(self.pending)
            except StopIteration:
                self.close()
                break
            self.found[key], self.candidates[key] = found, candidates
            if missing is not None:
                missing.discard(key)

    def close(self) -> None:
        """Stop the analysing processes (at the end of the run, or when it fails)."""
        self.pending = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def plan(raws: list[RawArticle], linker: Linker, version: str, workers: int = 1) -> Plan:
    hashes = {raw.source_key: import_hash(raw) for raw in raws}
    stored = read_stored(raws)
    deleted = _deleted_keys()
    p = Plan(version, hashes, {})
    todo: dict[str, str] = {}  # content_hash -> body
    for raw in raws:
        st = stored.get(raw.source_key)
        if st is None and raw.source_key not in deleted:
            p.new.append(raw)
        if unchanged(raw, st, version, hashes):
            continue
        todo.setdefault(raw.content_hash, raw.body)
    p.found, p.candidates, p.pending, p.pool = analyse(todo, linker, workers)
    return p


# -- linking and discovery, over several processes ------------------------------------------
_WORKER: dict = {}
PARALLEL_MIN = 200  # bodies: below this, one process does it (starting workers costs more)


def _analyse_one(body: str) -> tuple[dict, list]:
    return _WORKER["finder"].find(body), discovery.find(body)


def _analyse_chunk(bodies: list[str]) -> list[tuple[dict, list]]:
    return [_analyse_one(b) for b in bodies]


def analyse(todo: dict[str, str], linker: Linker, workers: int = 1):
    """The linker's answer and the candidate names of each body (by content hash): (found,
    candidates, pending, pool). Pure Python over text, no database: with workers > 1 and
    enough bodies, the work is shared by forked processes (the linker is inherited, not
    pickled) and its answers come back in order as `pending`, while the caller writes what
    is ready (Plan.ready); else all of it is done here and nothing is pending."""
    _WORKER["finder"] = linking.finder(linker)
    keys = list(todo)
    if workers > 1 and len(keys) >= PARALLEL_MIN and "fork" in mp.get_all_start_methods():
        size = max(50, len(keys) // (workers * 8))
        chunks = [[todo[k] for k in keys[i : i + size]] for i in range(0, len(keys), size)]
        pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"))
        parts = pool.map(_analyse_chunk, chunks)  # every chunk submitted now
        answers = (r for part in parts for r in part)
        return {}, {}, zip(keys, answers, strict=True), pool
    results = [_analyse_one(todo[k]) for k in keys]
    found = {k: r[0] for k, r in zip(keys, results, strict=True)}
    candidates = {k: r[1] for k, r in zip(keys, results, strict=True)}
    return found, candidates, None, None


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# -- SQLite: the full-text index of new articles, written once per transaction --------------
_TRIGGER_INSERT = re.compile(
    r"\bBEGIN\s+INSERT\s+INTO\s+(\w+)\s*\(([^()]*)\)\s*VALUES\s*\(([^()]*)\)\s*;\s*END\s*$",
    re.I | re.S,
)


def _insert_triggers(connection) -> list[tuple[str, str, str]] | None:
    """The AFTER INSERT triggers on the article table (what keeps the SQLite full-text
    indexes), each as (name, its SQL, the same insert for a range of ids in one
    statement); None if one has another shape than `INSERT INTO t(...) VALUES (new....)`
    (then nothing is deferred)."""
    table = Article._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [table],
        )
        rows = cursor.fetchall()
    out = []
    for name, sql in rows:
        if not re.search(r"\bAFTER\s+INSERT\s+ON\b", sql, re.I):
            continue
        m = _TRIGGER_INSERT.search(sql)
        if m is None:
            return None
        target, columns, values = m.groups()
        selected = re.sub(r"\bnew\.", "a.", values, flags=re.I)
        if re.search(r"\bnew\b", selected, re.I):
            return None
        bulk = (
            f"INSERT INTO {target} ({columns}) SELECT {selected} FROM {table} AS a "
            "WHERE a.id BETWEEN %s AND %s"
        )
        out.append((name, sql, bulk))
    return out


class DeferredIndex:
    """On SQLite, inside one transaction: the triggers that index each new article as it is
    inserted are dropped, and the new articles are indexed together by one INSERT … SELECT
    per index when the block ends, then the triggers are created again from their own SQL.
    The same entries as the triggers write, for a quarter of the cost (docs/benchmarks.md).

    Safe because SQLite's DDL is transactional and the transaction holds the write lock
    from its first statement (IMMEDIATE): no other connection writes, or sees the triggers
    missing; should the block fail, the rollback brings them back with everything else.
    Within the block only new articles may be inserted, and none of them changed (an UPDATE
    trigger would remove an index entry not yet written); the ids they get are this
    transaction's, so the range lowest..highest holds only them. Elsewhere: a no-op."""

    def __init__(self, using: str, enabled: bool = True):
        self.connection = connections[using]
        self.enabled = enabled
        self.ids: list[int] = []
        self.triggers = None

    def __enter__(self) -> "DeferredIndex":
        c = self.connection
        if self.enabled and c.vendor == "sqlite" and c.in_atomic_block:
            self.triggers = _insert_triggers(c)
            with c.cursor() as cursor:
                for name, _, _ in self.triggers or ():
                    cursor.execute(f'DROP TRIGGER "{name}"')
        return self

    def added(self, pk: int) -> None:
        self.ids.append(pk)

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None or not self.triggers:
            return  # the transaction rolls back, the triggers with it
        with self.connection.cursor() as cursor:
            for _, _, bulk in self.triggers if self.ids else ():
                cursor.execute(bulk, [min(self.ids), max(self.ids)])
            for _, sql, _ in self.triggers:
                cursor.execute(sql)


# -- the run ---------------------------------------------------------------------------------
WRITE_BATCH = 500  # new articles per write transaction of a staged run (SQLite)


def run(
    paths: list[str] | None = None,
    *,
    dry_run: bool = False,
    catalogue_path: Path | None = None,
    manifest_path: Path | None = None,
    workers: int | None = None,
    skip_files: bool = True,
    staged: bool | None = None,
) -> Summary:
    """Import `paths` (see the module's docstring). `workers`: processes that link and
    discover (default: the machine's cores, up to 4); `skip_files`: skip a file unread
    when it is as last imported (ImportedFile); `staged`: write new articles in batches
    (default: on SQLite, for more than WRITE_BATCH of them, outside any transaction)."""
    summary = Summary(dry_run=dry_run)
    fixtures = Path(settings.FIXTURES_DIR)
    manifest = load_manifest(manifest_path or fixtures / "articles.json")
    data = catalogue.load(catalogue_path or fixtures / "catalogue.json")
    files = seed_paths(paths)
    if not files:
        raise IngestError(f"{settings.SEEDS_DIR}: no seed files (*.txt, *.md) to import")
    summary.files = [f.name for f in files]
    using = router.db_for_write(Article)
    if not dry_run:
        recover(using)
    # Phase 1, outside any transaction: read and check every file that changed (hash the
    # others), then plan (see the module's docstring).
    change_seen = _last_change(using)
    linker = build_linker()
    names = entity_names()
    version = linking.linker_version(linker, names)
    reading = read_files(files, manifest, skip=skip_files)
    confirm_ghosts(reading, version)
    check_batch(reading.raws, reading.all_ghosts())
    the_plan = plan(reading.raws, linker, version, workers or default_workers())
    # Phase 2: the writes. One transaction, except on SQLite for more new articles than
    # one WRITE_BATCH: those are written first, a batch per short transaction (a staged run,
    # ImportRun), and undone should anything of the run fail.
    if staged is None:
        staged = (
            connections[using].vendor == "sqlite"
            and not connections[using].in_atomic_block
            and len(the_plan.new) > WRITE_BATCH
        )
    staged = staged and not dry_run and bool(the_plan.new)
    started = time.perf_counter()
    the_run = None
    try:
        created: dict[str, Article] = {}
        if staged:
            the_run = ImportRun.objects.using(using).create(pid=os.getpid(), host=_host())
            for chunk in _chunks(the_plan.new, WRITE_BATCH):
                t = time.perf_counter()
                created.update(write_new(chunk, summary.stats, the_plan, linker, names, the_run))
                summary.longest_transaction = max(
                    summary.longest_transaction, time.perf_counter() - t
                )
        the_plan.ready()  # every answer, before the last transaction (never while in it)
        t = time.perf_counter()
        try:
            with transaction.atomic(using=using):
                write_rest(reading, data, summary, the_plan, created, using, change_seen, linker)
                if the_run is not None:
                    ImportRun.objects.filter(pk=the_run.pk).update(
                        state=ImportRun.State.DONE, finished=timezone.now()
                    )
                if dry_run:
                    raise _DryRun
        finally:
            summary.longest_transaction = max(summary.longest_transaction, time.perf_counter() - t)
    except _DryRun:
        pass
    except BaseException as exc:
        if the_run is not None:
            undo(the_run, using, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        the_plan.close()
        summary.transaction_seconds = time.perf_counter() - started
    return summary


def write_new(
    raws: list[RawArticle],
    stats: Counter,
    the_plan: Plan,
    linker: Linker,
    names: dict[int, str],
    the_run: ImportRun,
) -> dict[str, Article]:
    """One batch of a staged run: new articles, their mentions and index entries, in one
    short transaction that also adds their ids to the run (so it can be undone)."""
    out: dict[str, Article] = {}
    using = router.db_for_write(Article)
    the_plan.ready(r.content_hash for r in raws)  # before the transaction: never hold it
    with transaction.atomic(using=using):
        stored = read_stored(raws)  # another import may have written some meanwhile
        book = ArticleBook(raws, stored)
        fresh = [r for r in raws if r.source_key not in stored and r.source_key not in book.deleted]
        with DeferredIndex(using) as index:
            for raw in fresh:
                out[raw.source_key] = article = store_article(
                    raw, stats, book, the_plan, linker, names
                )
                index.added(article.pk)
        found = {a.pk: the_plan.found.get(a.content_hash) for a in out.values()}
        link_articles(
            list(out.values()), stats, linker, found=found, names=names, version=the_plan.version
        )
        the_run.article_ids += [a.pk for a in out.values()]
        ImportRun.objects.filter(pk=the_run.pk).update(article_ids=the_run.article_ids)
    return out


def write_rest(
    reading: Reading,
    data: dict,
    summary: Summary,
    the_plan: Plan,
    created: dict[str, Article],
    using: str,
    change_seen=None,
    linker: Linker | None = None,
) -> None:
    """The run's last (or only) transaction: the catalogue, every article not yet written
    (all of them but a staged run's new ones), the relinking a catalogue change calls for,
    candidates, and the files' records."""
    stats = summary.stats
    before = {k: stats[k] for k in _NAME_CHANGES}
    by_slug = catalogue.sync_entities(data, stats)
    # The catalogue as stored now: changed by this run's sync (or, rarely, by an editor
    # since the plan was made). If its names differ from the plan's, the plan's linking is
    # not used, and every article is relinked, as any new or changed name may appear in any
    # article, not only the ones read now. When neither the sync nor anyone else changed a
    # thing since the plan (ArchiveState, which every editor's change moves), the plan's
    # linker is the catalogue's, and what phase 1 checked of the skipped files still holds.
    quiet = change_seen is not None and _last_change(using) == change_seen
    if quiet and linker is not None and all(stats[k] == before[k] for k in _NAME_CHANGES):
        names = entity_names()
    else:
        quiet = False
        linker, names = build_linker(), entity_names()
    version = linking.linker_version(linker, names)
    relink_all = version != the_plan.version
    if relink_all:
        the_plan.found, the_plan.candidates = {}, {}
        the_plan.version = version
    # A skipped file whose articles are no longer as its record says (an editor changed
    # one since the plan, or the catalogue changed) is read now, inside.
    stored_ghosts = reading.stored_ghosts if quiet else read_stored(reading.all_ghosts())
    book_deleted = _deleted_keys()
    for path, gs in list(reading.ghosts.items()) if not quiet or relink_all else ():
        if not all(
            _ghost_unchanged(g, stored_ghosts.get(g.source_key), version, book_deleted) for g in gs
        ):
            for raw in reading.read(path):
                the_plan.hashes[raw.source_key] = import_hash(raw)
            check_batch(reading.raws, reading.all_ghosts())
    raws = reading.raws
    stored = read_stored(raws)
    book = ArticleBook(raws, stored)
    to_link: list[Article] = []
    by_key: dict[str, Article] = {}
    skipped: list[int] = []
    for g in reading.all_ghosts():
        st = stored_ghosts.get(g.source_key)
        if st is None:
            stats["articles_left_alone"] += 1
            continue
        stats["articles_unchanged"] += 1
        stats["article_fields_left_alone"] += _handed_back(g, st)[1]
        skipped.append(st.id)
    inserts = any(r.source_key not in stored and r.source_key not in book.deleted for r in raws)
    with DeferredIndex(using, enabled=inserts) as index:
        for raw in raws:
            st = stored.get(raw.source_key)
            if raw.source_key in created:  # written (and counted) by a batch of this run
                by_key[raw.source_key] = created[raw.source_key]
                if relink_all:
                    to_link.append(created[raw.source_key])
                continue
            if st is None and raw.source_key in book.deleted:
                stats["articles_left_alone"] += 1
                continue
            if unchanged(raw, st, version, the_plan.hashes):
                stats["articles_unchanged"] += 1
                stats["article_fields_left_alone"] += _handed_back(raw, st)[1]
                skipped.append(st.id)
                continue
            article = store_article(raw, stats, book, the_plan, linker, names, st)
            if st is None:
                index.added(article.pk)
            to_link.append(article)
            by_key[raw.source_key] = article
    found = {a.pk: the_plan.found.get(a.content_hash) for a in to_link}
    link_articles(to_link, stats, linker, found=found, names=names, version=version)
    if relink_all:
        linked = {a.pk for a in to_link}
        others = Article.objects.exclude(pk__in=linked).order_by("pk")
        for chunk in _chunks(list(others.values_list("pk", flat=True))):
            link_articles(
                list(Article.objects.filter(pk__in=chunk)),
                stats,
                linker,
                names=names,
                version=version,
            )
    else:
        _count_left_alone(skipped, stats)
    catalogue.sync_relationships(data, by_slug, stats)
    work = [(raw, by_key[raw.source_key]) for raw in raws if raw.source_key in by_key]
    summary.new_candidates = find_candidates(work, stats, linker, the_plan)
    record_files(reading, the_plan.hashes)
    summary.stats["entities_total"] = Entity.objects.count()
    summary.stats["mentions_total"] = Mention.objects.visible().count()
    summary.stats["candidates_pending"] = Candidate.objects.filter(
        state=Candidate.State.PENDING
    ).count()


# What catalogue.sync_entities counts when it changes what the linker reads.
_NAME_CHANGES = (
    "entities_created",
    "entities_updated",
    "entities_rekinded",
    "aliases_created",
    "aliases_removed",
)


def _last_change(using: str):
    """ArchiveState.changed, read where the import writes (never a replica)."""
    return (
        ArchiveState.objects.using(using)
        .filter(pk=state.ROW)
        .values_list("changed", flat=True)
        .first()
    )


# -- a staged run that fails is undone -------------------------------------------------------
def _host() -> str:
    return socket.gethostname()[:255]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def undo(the_run: ImportRun, using: str | None = None, error: str = "") -> int:
    """Delete what a staged run created, newest first, a WRITE_BATCH per short transaction
    that also takes the ids off the run: resumable, should this be interrupted too. The
    deletes go through the ORM (mentions, candidates follow; the index by its triggers)."""
    using = using or router.db_for_write(Article)
    runs = ImportRun.objects.using(using)
    runs.filter(pk=the_run.pk).update(state=ImportRun.State.UNDOING, error=error[:2000])
    ids = list(runs.get(pk=the_run.pk).article_ids)
    removed = 0
    while ids:
        chunk, rest = ids[-WRITE_BATCH:], ids[:-WRITE_BATCH]
        with transaction.atomic(using=using):
            removed += (
                Article.objects.using(using)
                .filter(pk__in=chunk)
                .delete()[1]
                .get(Article._meta.label, 0)
            )
            runs.filter(pk=the_run.pk).update(article_ids=rest)
        ids = rest
    runs.filter(pk=the_run.pk).update(state=ImportRun.State.UNDONE, finished=timezone.now())
    return removed


def recover(using: str | None = None) -> list[int]:
    """Undo every staged run left unfinished by a process that is gone (killed, or its
    machine stopped): what the next import does first. A run whose process still runs on
    this machine is another import at work, and is left to it."""
    using = using or router.db_for_write(Article)
    undone = []
    unfinished = ImportRun.objects.using(using).filter(
        state__in=[ImportRun.State.WRITING, ImportRun.State.UNDOING]
    )
    for the_run in unfinished:
        if the_run.host == _host() and the_run.pid != os.getpid() and _alive(the_run.pid):
            continue
        undo(the_run, using, error=the_run.error or "left unfinished; undone by a later import")
        undone.append(the_run.pk)
    return undone


def _count_left_alone(article_ids: list[int], stats: Counter) -> None:
    """Mentions an editor set (added, confirmed, rejected) in the skipped articles: the
    summary counts them as a full relink would have (one query per BATCH; for many
    articles, one query for every mention an editor set, which are few, counted here)."""
    editors = Q(origin=Mention.Origin.EDITOR) | ~Q(state=Mention.State.AUTO)
    if len(article_ids) > 4 * BATCH:
        ids = set(article_ids)
        stats["mentions_left_alone"] += sum(
            1
            for a in Mention.objects.filter(editors).values_list("article_id", flat=True)
            if a in ids
        )
        return
    for chunk in _chunks(article_ids):
        stats["mentions_left_alone"] += (
            Mention.objects.filter(article_id__in=chunk)
            .filter(Q(origin=Mention.Origin.EDITOR) | ~Q(state=Mention.State.AUTO))
            .count()
        )


def check_batch(raws: list[RawArticle], ghosts: list["Ghost"] = ()) -> None:
    """The files of a run (read now, or skipped: their ghosts) may not name one article
    twice, nor give two articles one slug."""
    keys: dict[str, RawArticle | Ghost] = {}
    given: dict[str, RawArticle | Ghost] = {}
    for g in ghosts:
        keys[g.source_key] = g
        if g.slug:
            given[g.slug] = g
    for raw in raws:
        if (first := keys.get(raw.source_key)) is not None:
            same = f"source address {raw.source_url!r}" if raw.source_url else "text"
            raise IngestError(
                f"{raw.where}: the same article ({same}) as {first.where}; keep one of them"
            )
        keys[raw.source_key] = raw
        if raw.slug_given:
            if (first := given.get(raw.slug)) is not None:
                raise IngestError(
                    f"{raw.where}: article slug {raw.slug!r} already given to {first.where} "
                    "(give one a different slug)"
                )
            given[raw.slug] = raw


class ArticleBook:
    """What the import knows of the stored articles while it writes: the deleted ones
    (Suppressions of their source_key) and which slugs are taken. The slugs the files give
    are reserved first, so a slug made from a title never takes one a file asked for.
    The slugs the new articles want are looked up together (one query per BATCH); only a
    slug found taken costs a query per -2, -3 … tried."""

    def __init__(self, raws: list[RawArticle], stored: dict[str, "Stored"]):
        self.deleted = set(
            Suppression.objects.filter(what=Suppression.What.ARTICLE).values_list("key", flat=True)
        )
        self.reserved = {raw.slug: raw.source_key for raw in raws if raw.slug_given}
        self.claimed: set[str] = {st.slug for st in stored.values()}
        self.looked_up = {raw.slug for raw in raws if raw.source_key not in stored}
        self.taken: set[str] = set()
        for chunk in _chunks(list(self.looked_up)):
            self.taken.update(Article.objects.filter(slug__in=chunk).values_list("slug", flat=True))

    def _exists(self, slug: str) -> bool:
        if slug in self.looked_up:
            return slug in self.taken
        return Article.objects.filter(slug=slug).exists()

    def _free(self, slug: str, key: str) -> bool:
        if slug in self.claimed or self.reserved.get(slug, key) != key:
            return False
        return not self._exists(slug)

    def claim(self, raw: RawArticle) -> str:
        """The slug of a new article: the one its file gave, which must be free; else one
        made from its title, with -2, -3 … when another article has it."""
        if raw.slug_given:
            if raw.slug in self.taken:
                other = Article.objects.filter(slug=raw.slug).first()
                raise IngestError(
                    f"{raw.where}: slug {raw.slug!r} is already used by another article "
                    f"({other.title!r}, {other.seed_file or 'added by an editor'}"
                    f"{f':{other.seed_line}' if other.seed_line else ''})"
                )
            slug = raw.slug
        else:
            slug, n = raw.slug, 1
            while not self._free(slug, raw.source_key):
                n += 1
                suffix = f"-{n}"
                slug = raw.slug[: SLUG_LIMIT - len(suffix)].rstrip("-_") + suffix
        self.claimed.add(slug)
        return slug


def _entity_text(entity_ids, names: dict[int, str]) -> str:
    """What the search index reads of an article's visible entities (by entity id)."""
    return "\n".join(names.get(i, "") for i in sorted(entity_ids))


def store_article(
    raw: RawArticle,
    stats: Counter,
    book: ArticleBook,
    the_plan: Plan,
    linker: Linker,
    names: dict[int, str],
    stored: "Stored | None" = None,
) -> Article:
    """Create (one INSERT, its entity_text and versions included) or update the article
    `raw` is (by its identity, never its slug). Only called for work to do."""
    values = {f: getattr(raw, f) for f in ARTICLE_FIELDS}
    values |= {
        "seed_file": raw.seed_file,
        "seed_line": raw.seed_line,
        "content_hash": raw.content_hash,
    }
    hashed = the_plan.hashes[raw.source_key]
    if stored is None:
        stats["articles_created"] += 1
        slug = book.claim(raw)
        found = the_plan.found.get(raw.content_hash)
        if found is None:
            found = the_plan.found[raw.content_hash] = linking.finder(linker).find(raw.body)
        # Every mention of a new article is the linker's, so visible: its entity_text is
        # known before it is written (the full-text index is written once, not twice).
        article = Article(
            slug=slug,
            source_key=raw.source_key,
            entity_text=_entity_text(found, names),
            import_hash=hashed,
            linked_with=the_plan.version,
            **values,
        )
        _insert(article)
        return article
    article = Article.objects.get(pk=stored.id)
    # Its slug was set when it was first stored: its address never changes.
    changed, left_alone = article.sync_from_import(values)
    stats["article_fields_left_alone"] += left_alone
    stats["articles_updated" if changed else "articles_unchanged"] += 1
    if article.import_hash != hashed:
        article.import_hash = hashed
        Article.objects.filter(pk=article.pk).update(import_hash=hashed)
    return article


def _insert(article: Article) -> None:
    """INSERT one new article, as Article.save() would, without recompiling the statement
    each time (Django's compiler cost ~1 ms an article, more than the database's own work:
    the row and its full-text entry). Signals are not sent, as for every bulk write here:
    import_seeds records the archive's change once (state.touch)."""
    connection = connections[router.db_for_write(Article)]
    fields = _insert_fields()
    params = [f.get_db_prep_save(f.pre_save(article, True), connection) for f in fields]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(Article._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(Article._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        article.pk = cursor.fetchone()[0]
    article._state.adding, article._state.db = False, connection.alias


@functools.cache
def _insert_fields() -> list:
    return [
        f
        for f in Article._meta.local_concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    ]


def link_articles(
    articles: list[Article],
    stats: Counter | None = None,
    linker: Linker | None = None,
    *,
    found: dict[int, dict | None] | None = None,
    names: dict[int, str] | None = None,
    version: str | None = None,
) -> None:
    """(Re)link articles to the catalogue, keeping every mention an editor set. In bulk:
    per BATCH articles, one query for their mentions, then bulk creates, updates and
    deletes, and entity_text and linked_with written only where they change. `found`
    (article id -> the linker's answer) is what the import worked out beforehand."""
    stats = stats if stats is not None else Counter()
    linker = linker or build_linker()
    names = entity_names() if names is None else names
    version = version or linking.linker_version(linker, names)
    find = linking.finder(linker).find
    found = found or {}
    for chunk in _chunks(list(articles)):
        existing: dict[int, dict[int, Mention]] = {}
        for m in Mention.objects.filter(article_id__in=[a.pk for a in chunk]):
            existing.setdefault(m.article_id, {})[m.entity_id] = m
        create, update, remove, retext, relinked = [], [], [], [], []
        for article in chunk:
            hits = found.get(article.pk)
            if hits is None:
                hits = find(article.body)
            mine = existing.get(article.pk, {})
            visible = set()
            for entity_id, hit in hits.items():
                spans = [list(s) for s in hit.spans]
                m = mine.pop(entity_id, None)
                if m is None:
                    create.append(
                        Mention(
                            article_id=article.pk, entity_id=entity_id, count=hit.count, spans=spans
                        )
                    )
                    stats["mentions_created"] += 1
                    visible.add(entity_id)
                    continue
                if m.count != hit.count or m.spans != spans:
                    # Offsets follow the text even for an editor's mention; its state stays.
                    m.count, m.spans = hit.count, spans
                    update.append(m)
                    stats["mentions_updated"] += 1
                if m.origin == Mention.Origin.EDITOR or m.state != Mention.State.AUTO:
                    stats["mentions_left_alone"] += 1
                if m.state != Mention.State.REJECTED:
                    visible.add(entity_id)
            for m in mine.values():
                if m.origin == Mention.Origin.EDITOR or m.state != Mention.State.AUTO:
                    stats["mentions_left_alone"] += 1
                    if m.state != Mention.State.REJECTED:
                        visible.add(m.entity_id)
                    continue
                remove.append(m.pk)  # the linker no longer finds it (text or catalogue changed)
                stats["mentions_removed"] += 1
            text = _entity_text(visible, names)
            if article.entity_text != text:
                article.entity_text = text
                retext.append(article)
            if article.linked_with != version:
                article.linked_with = version
                relinked.append(article.pk)
        if remove:
            Mention.objects.filter(pk__in=remove).delete()
        if create:
            Mention.objects.bulk_create(create, batch_size=BATCH)
        if update:
            Mention.objects.bulk_update(update, ["count", "spans"], batch_size=BATCH)
        if retext:
            Article.objects.bulk_update(retext, ["entity_text"], batch_size=BATCH)
        if relinked:
            Article.objects.filter(pk__in=relinked).update(linked_with=version)


def find_candidates(
    work: list[tuple[RawArticle, Article]],
    stats: Counter,
    linker: Linker | None = None,
    the_plan: Plan | None = None,
) -> list[dict]:
    """Store names the catalogue lacks as pending candidates; remember decided ones.
    `work`: the articles written now, with what was read for each."""
    linker = linker or build_linker()
    known = set(Candidate.objects.values_list("key", flat=True))
    planned = the_plan.candidates if the_plan else {}
    new, rows = [], []
    for raw, article in work:
        names = planned.get(raw.content_hash)
        for s in discovery.find(article.body) if names is None else names:
            if s.key in known:
                continue
            # A name the catalogue already covers (whole, or by its acronym) is not new.
            covered = linker.find(s.core)
            if any(sp == (0, len(s.core)) for f in covered.values() for sp in f.spans):
                continue
            if s.acronym and linker.find(s.acronym):
                continue
            known.add(s.key)
            rows.append(
                Candidate(
                    name=s.name,
                    key=s.key,
                    acronym=s.acronym,
                    reason=s.reason,
                    suggested_kind=s.suggested_kind,
                    article=article,
                    passage=s.passage,
                )
            )
            stats["candidates_created"] += 1
            new.append(
                {
                    "name": s.name,
                    "acronym": s.acronym,
                    "reason": s.reason,
                    "kind": s.suggested_kind,
                    "article": article.slug,
                }
            )
    Candidate.objects.bulk_create(rows, batch_size=BATCH)
    return new


def to_json(summary: Summary) -> str:
    return json.dumps(summary.as_dict(), indent=2, ensure_ascii=False)
