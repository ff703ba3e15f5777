"""The import transaction: read seeds, sync the catalogue, store articles, link entities.

Everything happens in one transaction, so any error leaves the database exactly as it was;
--dry-run runs the same code and rolls back. An article is recognised by its identity
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

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ..models import Article, Candidate, Entity, Mention, Suppression
from ..names.linker import Linker, build_linker, entity_names
from . import IngestError, catalogue, discovery
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


def run(
    paths: list[str] | None = None,
    *,
    dry_run: bool = False,
    catalogue_path: Path | None = None,
    manifest_path: Path | None = None,
) -> Summary:
    summary = Summary(dry_run=dry_run)
    fixtures = Path(settings.FIXTURES_DIR)
    manifest = load_manifest(manifest_path or fixtures / "articles.json")
    data = catalogue.load(catalogue_path or fixtures / "catalogue.json")
    files = seed_paths(paths)
    if not files:
        raise IngestError(f"{settings.SEEDS_DIR}: no seed files (*.txt, *.md) to import")
    # Read and validate every file before writing anything.
    raws: list[RawArticle] = []
    for f in files:
        raws += read_path(f, manifest)
        summary.files.append(f.name)
    check_batch(raws)
    try:
        with transaction.atomic():
            by_slug = catalogue.sync_entities(data, summary.stats)
            book = ArticleBook(raws)
            stored = [store_article(raw, summary.stats, book) for raw in raws]
            articles = [a for a in stored if a is not None]
            names_changed = any(
                summary.stats[k]
                for k in (
                    "entities_created",
                    "entities_updated",
                    "aliases_created",
                    "aliases_removed",
                )
            )
            # New or changed names may appear in any article, not only the ones read now.
            link_articles(list(Article.objects.all()) if names_changed else articles, summary.stats)
            catalogue.sync_relationships(data, by_slug, summary.stats)
            summary.new_candidates = find_candidates(articles, summary.stats)
            summary.stats["entities_total"] = Entity.objects.count()
            summary.stats["mentions_total"] = Mention.objects.visible().count()
            summary.stats["candidates_pending"] = Candidate.objects.filter(
                state=Candidate.State.PENDING
            ).count()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return summary


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
    are reserved first, so a slug made from a title never takes one a file asked for."""

    def __init__(self, raws: list[RawArticle]):
        self.deleted = set(
            Suppression.objects.filter(what=Suppression.What.ARTICLE).values_list("key", flat=True)
        )
        self.reserved = {raw.slug: raw.source_key for raw in raws if raw.slug_given}
        self.claimed: set[str] = set()

    def _free(self, slug: str, key: str) -> bool:
        if slug in self.claimed or self.reserved.get(slug, key) != key:
            return False
        return not Article.objects.filter(slug=slug).exists()

    def claim(self, raw: RawArticle) -> str:
        """The slug of a new article: the one its file gave, which must be free; else one
        made from its title, with -2, -3 … when another article has it."""
        if raw.slug_given:
            other = Article.objects.filter(slug=raw.slug).first()
            if other is not None:
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


def store_article(raw: RawArticle, stats: Counter, book: ArticleBook) -> Article | None:
    """Create or update the article `raw` is (by its identity, never its slug); None for
    one an editor deleted."""
    values = {f: getattr(raw, f) for f in ARTICLE_FIELDS}
    values |= {
        "seed_file": raw.seed_file,
        "seed_line": raw.seed_line,
        "content_hash": raw.content_hash,
    }
    article = Article.objects.filter(source_key=raw.source_key).first()
    if article is None:
        if raw.source_key in book.deleted:
            stats["articles_left_alone"] += 1
            return None
        stats["articles_created"] += 1
        slug = book.claim(raw)
        return Article.objects.create(slug=slug, source_key=raw.source_key, **values)
    # Its slug was set when it was first stored: its address never changes.
    book.claimed.add(article.slug)
    changed, left_alone = article.sync_from_import(values)
    stats["article_fields_left_alone"] += left_alone
    stats["articles_updated" if changed else "articles_unchanged"] += 1
    return article


def link_articles(
    articles: list[Article], stats: Counter | None = None, linker: Linker | None = None
) -> None:
    """(Re)link articles to the catalogue, keeping every mention an editor set."""
    stats = stats if stats is not None else Counter()
    linker = linker or build_linker()
    names = entity_names()
    existing: dict[tuple[int, int], Mention] = {
        (m.article_id, m.entity_id): m
        for m in Mention.objects.filter(article__in=[a.pk for a in articles])
    }
    for article in articles:
        found = linker.find(article.body)
        for entity_id, hit in found.items():
            spans = [list(s) for s in hit.spans]
            m = existing.pop((article.pk, entity_id), None)
            if m is None:
                Mention.objects.create(
                    article=article, entity_id=entity_id, count=hit.count, spans=spans
                )
                stats["mentions_created"] += 1
            elif m.count != hit.count or m.spans != spans:
                # Offsets follow the text even for an editor's mention; its state stays.
                m.count, m.spans = hit.count, spans
                m.save(update_fields=["count", "spans"])
                stats["mentions_updated"] += 1
            if m is not None and (
                m.origin == Mention.Origin.EDITOR or m.state != Mention.State.AUTO
            ):
                stats["mentions_left_alone"] += 1
        for (article_id, _), m in list(existing.items()):
            if article_id != article.pk:
                continue
            del existing[(article_id, m.entity_id)]
            if m.origin == Mention.Origin.EDITOR or m.state != Mention.State.AUTO:
                stats["mentions_left_alone"] += 1
                continue
            m.delete()  # the linker no longer finds it (text or catalogue changed)
            stats["mentions_removed"] += 1
        _index_entities(article, names)


def _index_entities(article: Article, entity_names: dict[int, str]) -> None:
    """Write the names of the article's visible entities where the search index reads them."""
    ids = (
        Mention.objects.visible()
        .filter(article=article)
        .order_by("entity_id")
        .values_list("entity_id", flat=True)
    )
    text = "\n".join(entity_names.get(i, "") for i in ids)
    if article.entity_text != text:
        article.entity_text = text
        article.save(update_fields=["entity_text"])


def find_candidates(articles: list[Article], stats: Counter) -> list[dict]:
    """Store names the catalogue lacks as pending candidates; remember decided ones."""
    linker = build_linker()
    known = set(Candidate.objects.values_list("key", flat=True))
    new = []
    for article in articles:
        for s in discovery.find(article.body):
            if s.key in known:
                continue
            # A name the catalogue already covers (whole, or by its acronym) is not new.
            covered = linker.find(s.core)
            if any(sp == (0, len(s.core)) for f in covered.values() for sp in f.spans):
                continue
            if s.acronym and linker.find(s.acronym):
                continue
            known.add(s.key)
            Candidate.objects.create(
                name=s.name,
                key=s.key,
                acronym=s.acronym,
                reason=s.reason,
                suggested_kind=s.suggested_kind,
                article=article,
                passage=s.passage,
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
    return new


def to_json(summary: Summary) -> str:
    return json.dumps(summary.as_dict(), indent=2, ensure_ascii=False)
