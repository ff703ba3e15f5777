"""The import: read seeds, sync the catalogue, store articles, link entities.

Atomic per run: every write happens in one transaction, so any error leaves the database
exactly as it was; --dry-run runs the same code and rolls back.

At bulk speed (issue 9), in two phases:
1. Plan, outside any transaction (on SQLite: no write lock; readers and editors carry on):
   read and check every file; read what is stored for these articles (one query per
   BATCH); for each article that is new or changed, link it and look for candidate
   entities in Python now (linking.Finder, discovery.find).
2. Write, in one transaction: the catalogue sync, then only the writes the plan calls
   for: an INSERT per new article (with its entity_text, so the full-text index is written
   once), an UPDATE per changed one, mentions and candidates in bulk. What the plan read is
   read again inside the transaction (one query per BATCH), so a change made meanwhile by
   an editor is seen; a plan made with another catalogue than the one now stored is not
   used (the articles are linked inside instead).
   Why not several short transactions with a publish step: the transaction is already
   short (the writes alone: ~1 s for 3,000 new articles, ~0.1 s when nothing changed), it
   keeps "an error changes nothing" trivially true, and a reader never sees half a run.
   An editor who saves meanwhile waits (SQLite's busy timeout, 20 s) rather than fails; and
   should a save still time out, DatabaseBusyMiddleware answers 503 "try again", never 500.
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

After-import work that belongs to search (the spelling vocabulary, statistics) is run by
whoever runs the import (`import_seeds`), not from here: ingest never calls into search.
"""

import functools
import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Q

from ..models import Article, Candidate, Entity, Mention, Suppression
from ..models.articles import ARTICLE_CURATED_FIELDS
from ..names.linker import Linker, build_linker, entity_names
from . import IngestError, catalogue, discovery, linking
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
    # How long the write transaction lasted (on SQLite, how long it held the write lock).
    transaction_seconds: float = 0.0

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


def read_stored(raws: list[RawArticle]) -> dict[str, Stored]:
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
                {f: row[f] for f in curated},
            )
    return out


def _handed_back(raw: RawArticle, stored: Stored) -> tuple[bool, int]:
    """Whether a curated field no editor holds differs from the file (an editor handed it
    back to the import), and how many editor-held fields differ (left alone)."""
    differs = [f for f in ARTICLE_CURATED_FIELDS if stored.curated[f] != getattr(raw, f)]
    held = [f for f in differs if f in stored.edited_fields]
    return len(held) < len(differs), len(held)


def unchanged(raw: RawArticle, stored: Stored | None, version: str, hashes: dict) -> bool:
    return (
        stored is not None
        and stored.import_hash == hashes[raw.source_key]
        and stored.linked_with == version
        and not _handed_back(raw, stored)[0]
    )


@dataclass
class Plan:
    """What phase 1 worked out, outside the transaction."""

    version: str
    hashes: dict[str, str]  # source_key -> import_hash
    found: dict[str, dict]  # content_hash -> linker.find result, for the work to do
    candidates: dict[str, list] = field(default_factory=dict)  # content_hash -> discovery


def plan(raws: list[RawArticle], linker: Linker, version: str) -> Plan:
    hashes = {raw.source_key: import_hash(raw) for raw in raws}
    stored = read_stored(raws)
    p = Plan(version, hashes, {})
    find = linking.finder(linker).find
    for raw in raws:
        if unchanged(raw, stored.get(raw.source_key), version, hashes):
            continue
        if raw.content_hash not in p.found:
            p.found[raw.content_hash] = find(raw.body)
            p.candidates[raw.content_hash] = discovery.find(raw.body)
    return p


def run(
    paths: list[str] | None = None,
    *,
    dry_run: bool = False,
    catalogue_path: Path | None = None,
    manifest_path: Path | None = None,
) -> Summary:
    summary = Summary(dry_run=dry_run)
    stats = summary.stats
    fixtures = Path(settings.FIXTURES_DIR)
    manifest = load_manifest(manifest_path or fixtures / "articles.json")
    data = catalogue.load(catalogue_path or fixtures / "catalogue.json")
    files = seed_paths(paths)
    if not files:
        raise IngestError(f"{settings.SEEDS_DIR}: no seed files (*.txt, *.md) to import")
    # Phase 1, outside the transaction: read and validate every file before writing
    # anything, then plan (see the module's docstring).
    raws: list[RawArticle] = []
    for f in files:
        raws += read_path(f, manifest)
        summary.files.append(f.name)
    check_batch(raws)
    linker = build_linker()
    names = entity_names()
    the_plan = plan(raws, linker, linking.linker_version(linker, names))
    # Phase 2: the writes, in one transaction.
    started = time.perf_counter()
    try:
        with transaction.atomic():
            by_slug = catalogue.sync_entities(data, stats)
            # The catalogue as stored now: changed by this run's sync (or, rarely, by an
            # editor since the plan was made). If its names differ from the plan's, the
            # plan's linking is not used, and every article is relinked, as any new or
            # changed name may appear in any article, not only the ones read now.
            linker, names = build_linker(), entity_names()
            version = linking.linker_version(linker, names)
            relink_all = version != the_plan.version
            if relink_all:
                the_plan.found, the_plan.candidates = {}, {}
                the_plan.version = version
            stored = read_stored(raws)
            book = ArticleBook(raws, stored)
            to_link: list[Article] = []
            by_key: dict[str, Article] = {}
            skipped: list[int] = []
            for raw in raws:
                st = stored.get(raw.source_key)
                if st is None and raw.source_key in book.deleted:
                    stats["articles_left_alone"] += 1
                    continue
                if unchanged(raw, st, version, the_plan.hashes):
                    stats["articles_unchanged"] += 1
                    stats["article_fields_left_alone"] += _handed_back(raw, st)[1]
                    skipped.append(st.id)
                    continue
                article = store_article(raw, stats, book, the_plan, linker, names, st)
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
            summary.stats["entities_total"] = Entity.objects.count()
            summary.stats["mentions_total"] = Mention.objects.visible().count()
            summary.stats["candidates_pending"] = Candidate.objects.filter(
                state=Candidate.State.PENDING
            ).count()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        # On SQLite (immediate transactions) the write lock is held exactly this long.
        summary.transaction_seconds = time.perf_counter() - started
    return summary


def _count_left_alone(article_ids: list[int], stats: Counter) -> None:
    """Mentions an editor set (added, confirmed, rejected) in the skipped articles: the
    summary counts them as a full relink would have (one query per BATCH)."""
    for chunk in _chunks(article_ids):
        stats["mentions_left_alone"] += (
            Mention.objects.filter(article_id__in=chunk)
            .filter(Q(origin=Mention.Origin.EDITOR) | ~Q(state=Mention.State.AUTO))
            .count()
        )


def check_batch(raws: list[RawArticle]) -> None:
    """The files read now may not name one article twice, nor give two articles one slug."""
    keys: dict[str, RawArticle] = {}
    given: dict[str, RawArticle] = {}
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
