"""The whole archive as one JSON Lines file, and back: `manage.py export_archive` and
`manage.py import_archive`. A copy that outlives the database engine (SQLite to PostgreSQL
and back), that a script can read, and that keeps every editor's decision.

One JSON object a line, each with a "type", in an order where nothing refers ahead:

    header        {"format": "surveillance-archive", "version": 1}
    entity        agencies, contractors, programs, organizations (an agency's "parent" with
                  its "parent_source", a program's "status", by kind); edited_fields,
                  reviewed, description sources
    alias         entity (slug), name, case_sensitive, origin (catalogue or editor)
    article       every field, its identity (source_key) and provenance (seed file, line,
                  content and import hashes), edited_fields, and its "mentions": each
                  entity it names with count, spans, origin and state (an editor's added,
                  confirmed and rejected mentions included)
    program_status, relationship, candidate, suppression, redirect
    end           how many records of each type came before: a cut-off file is refused

Entities and articles are referred to by slug, never by database id: the ids of the
database a copy is loaded into are its own.

Left out, because an import rebuilds them (or they are not the archive's content):
the search index (the database's triggers and generated column build it; the spelling
vocabulary and statistics are refreshed by whoever runs the import, as after import_seeds);
each article's entity_text and linked_with (relinking rebuilds them); the import's own
records (ImportedFile, ImportRun: the next import_seeds reads every file once, and finds
every article as it left it); relink jobs; the archive's last-change time (set on import);
user accounts and the admin's history.

The import loads a file into an empty database in one transaction: anything wrong (a line
that is not JSON, an unknown field, a value that does not fit, a slug nothing defines, a
missing "end") is refused with the file and line, and nothing is written. Articles are
written BATCH at a time with their mentions, then relinked by the importer's own
link_articles (which keeps every mention an editor set): with a catalogue and mentions in
step, as a copy of a working archive is, that changes nothing; a copy taken while a relink
was pending comes out relinked, as the relink would have left it.
"""

import contextlib
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, models, router, transaction

from ..models import (
    Agency,
    Alias,
    Article,
    Candidate,
    Contractor,
    Entity,
    EntityKind,
    EntityRedirect,
    Mention,
    Organization,
    Program,
    ProgramStatus,
    Relationship,
    Suppression,
)
from ..names.linker import build_linker, entity_names
from . import linking
from .importer import _entity_text, link_articles

FORMAT = "surveillance-archive"
VERSION = 1
BATCH = 500  # articles (with their mentions) read or written per query

ENTITY_MODELS = {
    EntityKind.AGENCY: Agency,
    EntityKind.CONTRACTOR: Contractor,
    EntityKind.PROGRAM: Program,
    EntityKind.ORGANIZATION: Organization,
}

# Each record type: its own fields (as the model names them), and its references to other
# records (key -> (what it refers to, the model's field)).
FIELDS = {
    "entity": (
        "kind",
        "slug",
        "name",
        "acronym",
        "description",
        "description_sources",
        "reviewed",
        "edited_fields",
        "created",
        "updated",
    ),
    "alias": ("name", "case_sensitive", "origin"),
    "article": (
        "slug",
        "title",
        "body",
        "published",
        "publication",
        "source_url",
        "dept",
        "facts_note",
        "seed_file",
        "seed_line",
        "content_hash",
        "source_key",
        "import_hash",
        "edited_fields",
        "created",
        "updated",
    ),
    "mention": ("count", "spans", "origin", "state"),
    "program_status": ("status", "year", "note", "quote"),
    "relationship": (
        "kind",
        "amount",
        "period",
        "quote",
        "second_quote",
        "collective",
        "context",
        "edited_fields",
    ),
    "candidate": (
        "name",
        "key",
        "acronym",
        "reason",
        "suggested_kind",
        "passage",
        "state",
        "created",
    ),
    "suppression": ("what", "key", "created"),
    "redirect": ("old_slug",),
}
REFERENCES = {
    "alias": {"entity": ("entity", "entity")},
    "mention": {"entity": ("entity", "entity")},
    "program_status": {"program": ("entity", "program"), "article": ("article", "article")},
    "relationship": {
        "subject": ("entity", "subject"),
        "object": ("entity", "object"),
        "article": ("article", "article"),
    },
    "candidate": {"article": ("article", "article"), "entity": ("entity", "entity")},
    "redirect": {"entity": ("entity", "entity")},
}
# Fields a record of one kind of entity carries besides FIELDS["entity"].
KIND_FIELDS = {EntityKind.AGENCY: ("parent", "parent_source"), EntityKind.PROGRAM: ("status",)}
# What each of them is when the entity has none.
KIND_EMPTY = {"parent": None, "parent_source": {}, "status": ""}
MODELS = {
    "alias": Alias,
    "mention": Mention,
    "program_status": ProgramStatus,
    "relationship": Relationship,
    "candidate": Candidate,
    "suppression": Suppression,
    "redirect": EntityRedirect,
}
# What "empty" means for import_archive: none of these holds a row.
CONTENT = (Entity, Alias, Article, Mention, ProgramStatus, Relationship, Candidate, Suppression)
CONTENT += (EntityRedirect,)


# Times Django stamps on save (auto_now_add, auto_now): a copy keeps the original's.
STAMPS = ("created", "updated")


def _has(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _stamps(obj) -> dict:
    """The times `obj` carries from the copy, to put back after a save stamps its own."""
    return {
        f: getattr(obj, f)
        for f in STAMPS
        if _has(type(obj), f) and getattr(obj, f, None) is not None
    }


class DatasetError(Exception):
    """Input import_archive refuses (the message names the file and line), or a database
    it will not load into."""


def _value(v):
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


def _encode(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


# -- export ------------------------------------------------------------------------------------
@contextlib.contextmanager
def snapshot(using: str):
    """Read everything at one moment, without blocking writers: a repeatable-read, read-only
    transaction on PostgreSQL, a deferred read transaction on SQLite (WAL: writers carry
    on). Inside a caller's transaction (a test's), that transaction is the snapshot."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield
    elif connection.vendor == "postgresql":
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        # Django keeps SQLite in autocommit and begins its own transactions IMMEDIATE (the
        # write lock); a read needs none, so this one is begun by hand, DEFERRED.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")  # a read: nothing to keep or to lose
    else:
        yield


def records() -> Iterator[dict]:
    """Every record of the archive, in file order (header first, end last). Each table is
    read in id order, articles BATCH at a time with their mentions (two queries a batch)."""
    yield {"type": "header", "format": FORMAT, "version": VERSION}
    counts: Counter = Counter()
    for record in chain(
        _entities(),
        _simple("alias", Alias.objects.all()),
        _articles(),
        _simple("program_status", ProgramStatus.objects.all()),
        _simple("relationship", Relationship.objects.all()),
        _simple("candidate", Candidate.objects.all()),
        _simple("suppression", Suppression.objects.all()),
        _simple("redirect", EntityRedirect.objects.all()),
    ):
        counts[record["type"]] += 1
        yield record
    yield {"type": "end", "records": dict(counts)}


def write(out) -> Counter:
    """Write the archive to the text stream `out`; returns how many records of each type."""
    counts: Counter = Counter()
    with snapshot(router.db_for_read(Article)):
        for record in records():
            out.write(_encode(record))
            counts[record["type"]] += 1
    return counts


def _entities() -> Iterator[dict]:
    rows = Entity.objects.order_by("pk").values(
        *FIELDS["entity"],
        parent=models.F("agency__parent__slug"),
        parent_source=models.F("agency__parent_source"),
        status=models.F("program__status"),
    )
    for row in rows.iterator(chunk_size=BATCH):
        record = {"type": "entity"} | {f: _value(row[f]) for f in FIELDS["entity"]}
        for name in KIND_FIELDS.get(row["kind"], ()):
            record[name] = row[name] or KIND_EMPTY[name]
        yield record


def _simple(kind: str, rows) -> Iterator[dict]:
    """Rows of a table, in id order, with their references as slugs."""
    refs = REFERENCES.get(kind, {})
    values = rows.order_by("pk").values(
        *FIELDS[kind],
        **{f"ref_{key}": models.F(f"{field}__slug") for key, (_, field) in refs.items()},
    )
    for row in values.iterator(chunk_size=BATCH):
        record = {"type": kind}
        for key in refs:
            record[key] = row[f"ref_{key}"]
        record |= {f: _value(row[f]) for f in FIELDS[kind]}
        yield record


def _articles() -> Iterator[dict]:
    last = 0
    while True:
        batch = list(
            Article.objects.filter(pk__gt=last)
            .order_by("pk")
            .values("pk", *FIELDS["article"])[:BATCH]
        )
        if not batch:
            return
        mentions: dict[int, list[dict]] = {}
        for m in (
            Mention.objects.filter(article_id__in=[a["pk"] for a in batch])
            .order_by("article_id", "entity__slug")
            .values("article_id", "entity__slug", *FIELDS["mention"])
        ):
            mentions.setdefault(m["article_id"], []).append(
                {"entity": m["entity__slug"]} | {f: m[f] for f in FIELDS["mention"]}
            )
        for a in batch:
            record = {"type": "article"} | {f: _value(a[f]) for f in FIELDS["article"]}
            record["mentions"] = mentions.get(a["pk"], [])
            yield record
        last = batch[-1]["pk"]


# -- import ------------------------------------------------------------------------------------
def is_empty() -> bool:
    return not any(model.objects.exists() for model in CONTENT)


class Reader:
    """The file's records with where each is, checked one at a time."""

    def __init__(self, name: str, lines: Iterable[str]):
        self.name, self.lines, self.line = name, lines, 0
        self.counts: Counter = Counter()
        self.ended = False

    def error(self, message: str, line: int | None = None) -> DatasetError:
        return DatasetError(f"{self.name}:{line or self.line}: {message}")

    def __iter__(self) -> Iterator[dict]:
        started = False
        for line, text in enumerate(self.lines, start=1):
            self.line = line
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except ValueError as exc:
                raise self.error(f"not JSON ({exc})") from None
            if not isinstance(record, dict) or not isinstance(record.get("type"), str):
                raise self.error('not a record (an object with a "type")')
            kind = record["type"]
            if self.ended:
                raise self.error(f"a {kind!r} record after the end record")
            if not started:
                self._check_header(record)
                started = True
                continue
            if kind == "end":
                self._check_end(record)
                self.ended = True
                continue
            if kind not in FIELDS or kind == "mention":
                raise self.error(f"unknown record type {kind!r}")
            self.counts[kind] += 1
            yield record
        if not started:
            raise self.error("empty file: no header record", line=1)
        if not self.ended:
            raise self.error("no end record: the file is incomplete (cut off?)")

    def _check_header(self, record: dict) -> None:
        if record.get("type") != "header" or record.get("format") != FORMAT:
            raise self.error(f'not an archive file: the first record must be the "{FORMAT}" header')
        if record.get("version") != VERSION:
            raise self.error(
                f"format version {record.get('version')!r}; this archive reads version {VERSION}"
            )

    def _check_end(self, record: dict) -> None:
        said = record.get("records")
        if not isinstance(said, dict) or {k: v for k, v in said.items() if v} != dict(self.counts):
            raise self.error(
                f"the end record counts {said!r}, but the file holds {dict(self.counts)!r}"
            )


class Loader:
    """Writes the records a Reader gives, checking each; DatasetError names the line."""

    def __init__(self, reader: Reader):
        self.reader = reader
        self.entities: dict[str, Entity] = {}
        self.articles: dict[str, int] = {}
        self.parents: list[tuple[Agency, str, int]] = []
        self.pending: list[tuple[Article, list[Mention], int]] = []
        self.stamped: dict[type, list] = {}  # rows whose times the copy gives
        self.linker = None
        self.stats: Counter = Counter()  # records loaded, by type
        self.relinked: Counter = Counter()  # what link_articles changed (nothing, in step)

    def error(self, message: str, line: int | None = None) -> DatasetError:
        return self.reader.error(message, line)

    # -- checks --------------------------------------------------------------------------
    def _fields(self, record: dict, allowed: tuple[str, ...]) -> dict:
        unknown = set(record) - set(allowed) - {"type"}
        if unknown:
            raise self.error(f"unknown field(s) {', '.join(sorted(unknown))}")
        return {k: v for k, v in record.items() if k in allowed and k not in ("type",)}

    def _clean(self, obj, what: str) -> None:
        """The model's own field checks (lengths, choices, types, required values), without
        the queries for uniqueness and relations (the database checks those, in the same
        transaction)."""
        # Addresses are checked for length only: the archive stores what its sources gave,
        # and a copy must load whatever the archive held.
        urls = [f for f in obj._meta.fields if isinstance(f, models.URLField)]
        relations = [f.name for f in obj._meta.fields if f.is_relation]
        errors = {
            f.name: [f"at most {f.max_length} characters"]
            for f in urls
            if not isinstance(getattr(obj, f.attname), str | None)
            or len(getattr(obj, f.attname) or "") > f.max_length
        }
        try:
            obj.full_clean(
                exclude=[*relations, *(f.name for f in urls)],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            errors |= exc.message_dict
        if errors:
            detail = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in errors.items())
            raise self.error(f"{what}: {detail}")

    def _entity(self, slug, what: str) -> Entity:
        if not isinstance(slug, str) or slug not in self.entities:
            raise self.error(f"{what}: no entity {slug!r} before this line")
        return self.entities[slug]

    def _article(self, slug, what: str) -> int:
        # Pending articles are written before any other record is read (load).
        if not isinstance(slug, str) or slug not in self.articles:
            raise self.error(f"{what}: no article {slug!r} before this line")
        return self.articles[slug]

    # -- records ---------------------------------------------------------------------------
    def load(self) -> Counter:
        for record in self.reader:
            kind = record["type"]
            if kind != "article" and self.pending:
                self._flush()
            getattr(self, f"_load_{kind}")(record)
            self.stats[kind] += 1
        self._flush()
        self._finish()
        return self.stats

    def _load_entity(self, record: dict) -> None:
        kind = record.get("kind")
        if kind not in ENTITY_MODELS:
            raise self.error(f"entity: kind must be one of {', '.join(EntityKind.values)}")
        values = self._fields(record, FIELDS["entity"] + KIND_FIELDS.get(kind, ()))
        parent = values.pop("parent", None)
        entity = ENTITY_MODELS[kind](**values)
        self._clean(entity, f"entity {values.get('slug')!r}")
        if entity.slug in self.entities:
            raise self.error(f"entity {entity.slug!r} is defined twice")
        kept = _stamps(entity)
        self._write(entity.save, f"entity {entity.slug!r}")
        entity.__dict__.update(kept)
        self.entities[entity.slug] = entity
        if parent is not None:
            self.parents.append((entity, parent, self.reader.line))

    def _load_article(self, record: dict) -> None:
        values = self._fields(record, FIELDS["article"] + ("mentions",))
        found = values.pop("mentions", [])
        article = Article(**values)
        self._clean(article, f"article {values.get('slug')!r}")
        if article.slug in self.articles or any(a.slug == article.slug for a, _, _ in self.pending):
            raise self.error(f"article {article.slug!r} is defined twice")
        if not isinstance(found, list):
            raise self.error("article: mentions must be a list")
        mentions, seen = [], set()
        for m in found:
            if not isinstance(m, dict):
                raise self.error("article: each mention must be an object")
            mvalues = self._fields(m, FIELDS["mention"] + ("entity",))
            entity = self._entity(mvalues.pop("entity", None), "mention")
            if entity.pk in seen:
                raise self.error(f"article: {entity.slug!r} is mentioned twice")
            seen.add(entity.pk)
            mention = Mention(entity=entity, **mvalues)
            spans = mention.spans
            if not isinstance(spans, list) or not all(
                isinstance(s, list) and len(s) == 2 and all(isinstance(n, int) for n in s)
                for s in spans
            ):
                raise self.error(f"mention of {entity.slug!r}: spans must be [[start, end], …]")
            self._clean(mention, f"mention of {entity.slug!r}")
            mentions.append(mention)
        self.pending.append((article, mentions, self.reader.line))
        if len(self.pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        """Write the pending articles and their mentions: each article's entity_text and
        linked_with as the importer writes them (so the full-text index is written once),
        then link_articles to bring anything out of step with the catalogue back in line."""
        if not self.pending:
            return
        if self.linker is None:  # the catalogue is complete: entities come first
            self.linker, self.names = build_linker(), entity_names()
            self.version = linking.linker_version(self.linker, self.names)
        batch, self.pending = self.pending, []
        first, last = batch[0][2], batch[-1][2]
        where = f"articles of lines {first}-{last}" if first != last else "article"
        for article, mentions, _ in batch:
            visible = [m.entity_id for m in mentions if m.state != Mention.State.REJECTED]
            article.entity_text = _entity_text(visible, self.names)
            article.linked_with = self.version
        articles = [a for a, _, _ in batch]
        kept = [_stamps(a) for a in articles]

        def write():
            Article.objects.bulk_create(articles)
            # Created and updated as the copy says: bulk_create stamps its own time, and
            # bulk_update, which writes what it is given, puts them back.
            for article, stamps in zip(articles, kept, strict=True):
                article.__dict__.update(stamps)
            Article.objects.bulk_update(articles, list(STAMPS))
            rows = []
            for article, mentions, _ in batch:
                for m in mentions:
                    m.article = article
                    rows.append(m)
            Mention.objects.bulk_create(rows, batch_size=BATCH)
            link_articles(
                articles, self.relinked, self.linker, names=self.names, version=self.version
            )

        self._write(write, where, line=first)
        self.articles.update({a.slug: a.pk for a in articles})

    def _load_row(self, kind: str, record: dict) -> None:
        refs = REFERENCES.get(kind, {})
        values = self._fields(record, FIELDS[kind] + tuple(refs))
        model = MODELS[kind]
        for key, (target, field) in refs.items():
            slug = values.pop(key, None)
            if slug is None and model._meta.get_field(field).null:
                continue  # a candidate not (or no longer) tied to an entity
            if target == "entity":
                values[field] = self._entity(slug, f"{kind} {key}")
            else:
                values[f"{field}_id"] = self._article(slug, f"{kind} {key}")
        obj = model(**values)
        self._clean(obj, kind)
        kept = _stamps(obj)
        self._write(obj.save, kind)
        if kept:
            obj.__dict__.update(kept)
            self.stamped.setdefault(model, []).append(obj)

    def _load_alias(self, record):
        self._load_row("alias", record)

    def _load_program_status(self, record):
        program = self._entity(record.get("program"), "program_status program")
        if program.kind != EntityKind.PROGRAM:
            raise self.error(f"program_status: {program.slug!r} is not a program")
        self._load_row("program_status", record)

    def _load_relationship(self, record):
        self._load_row("relationship", record)

    def _load_candidate(self, record):
        self._load_row("candidate", record)

    def _load_suppression(self, record):
        self._load_row("suppression", record)

    def _load_redirect(self, record):
        self._load_row("redirect", record)

    def _finish(self) -> None:
        """What needed every record first: agencies' parents, and the creation times the
        copy gives (save() stamps its own)."""
        for agency, slug, line in self.parents:
            parent = self.entities.get(slug) if isinstance(slug, str) else None
            if parent is None or parent.kind != EntityKind.AGENCY:
                raise self.error(f"entity {agency.slug!r}: parent {slug!r} is not an agency", line)
            agency.parent = parent
        Agency.objects.bulk_update([a for a, _, _ in self.parents], ["parent"])
        # Entity's own rows (its subclasses' tables hold no times).
        entities = [
            Entity(pk=e.pk, created=e.created, updated=e.updated) for e in self.entities.values()
        ]
        Entity.objects.bulk_update(entities, list(STAMPS), batch_size=BATCH)
        for model, rows in self.stamped.items():
            fields = [f for f in STAMPS if _has(model, f)]
            model.objects.bulk_update(rows, fields, batch_size=BATCH)

    def _write(self, action, what: str, line: int | None = None) -> None:
        """Run a write; a row the database refuses (a duplicate, say) names its line. In a
        savepoint, so PostgreSQL's transaction stays usable to report it (it is rolled
        back whole anyway)."""
        try:
            with transaction.atomic(using=router.db_for_write(Article)):
                action()
        except DatabaseError as exc:
            raise self.error(f"{what}: the database refused it ({exc})", line) from None


def load(name: str, lines: Iterable[str]) -> tuple[Counter, Counter]:
    """Load an archive file (its `lines`; `name` for messages) into the empty database, in
    one transaction: any error raises DatasetError and writes nothing. Returns how many
    records of each type were loaded, and what relinking changed (nothing, for a copy whose
    mentions were in step with its catalogue). Whoever calls it refreshes the search side's
    derived data (search.after_import) and the archive's last change (state.touch)."""
    using = router.db_for_write(Article)
    with transaction.atomic(using=using):
        if not is_empty():
            raise DatasetError(
                "the database is not empty: import_archive loads a copy into an empty "
                "database only (create one and migrate it, or `manage.py flush`)"
            )
        loader = Loader(Reader(name, lines))
        return loader.load(), loader.relinked
