"""Read-side queries for pages and the API. Nothing here writes, and nothing here speaks
HTTP: a selector returns data (None when there is nothing), and the views decide what that
means as a response.

Each function does a fixed number of queries whatever the size of the data; tests assert
the bound for every page.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q
from django.urls import reverse

from . import state
from .models import (
    Agency,
    Article,
    Entity,
    EntityKind,
    EntityRedirect,
    Mention,
    Program,
    ProgramStatus,
    Relationship,
    derived_status,
)
from .models.entities import ProgramStatusChoice, parent_source_kind
from .names.text import MARK_END, MARK_START, mark, sentence_around

PASSAGES_PER_ARTICLE = 3
# What a list of articles shows (pages and the API's article_data): the body stays in the
# database, so a page of 20 costs the same whatever the articles' length.
LISTED_FIELDS = (
    "id",
    "slug",
    "title",
    "published",
    "publication",
    "source_url",
    "dept",
    "facts_note",
)


# -- counts every page shares ------------------------------------------------------------
def article_counts(version) -> dict[int, int]:
    """{entity id: articles that name it (visible mentions)} for every entity: one aggregate
    over the mention index, computed once per change of the archive (state.remember)."""

    def compute():
        # One mention row per (article, entity), so counting rows counts articles.
        return dict(
            Mention.objects.visible().values_list("entity").annotate(n=Count("id")).order_by()
        )

    return state.remember("article-counts", compute, version)


def ranked_entities(kind: EntityKind, version) -> list[Entity]:
    """Every entity of `kind`, most-named first, each with .article_count."""
    return entities_by_kind(version)[kind.value]


def entities_by_kind(version) -> dict[str, list[Entity]]:
    """{kind: its entities, most-named first}, each with .article_count and its aliases:
    three queries (counts, entities, aliases) once per change of the archive."""

    def compute():
        counts = article_counts(version)
        out: dict[str, list[Entity]] = {k.value: [] for k in EntityKind}
        for e in Entity.objects.prefetch_related("aliases"):
            e.article_count = counts.get(e.pk, 0)
            out[e.kind].append(e)
        for entities in out.values():
            entities.sort(key=lambda e: (-e.article_count, e.name.casefold(), e.pk))
        return out

    return state.remember("entities-by-kind", compute, version)


# -- home and indexes -------------------------------------------------------------------
def archive_counts(version) -> dict:
    by_kind = entities_by_kind(version)
    articles = state.remember("article-total", Article.objects.count, version)
    return {"articles": articles} | {k.plural: len(by_kind[k.value]) for k in EntityKind}


def top_entities(version, limit: int = 8) -> dict[str, list[Entity]]:
    """The most-named entities of each kind (those named at all)."""
    return {
        kind: [e for e in entities[:limit] if e.article_count]
        for kind, entities in entities_by_kind(version).items()
    }


def program_statuses() -> dict[int, str]:
    """Each program's current status as its sourced history gives it (derived_status), by
    id, for programs that have a history: one query. What its page, the index and the
    exports all say."""
    histories: dict[int, list] = {}
    # In the order the entity page reads them, so every reader derives the same status.
    for pk, status, year in ProgramStatus.objects.values_list("program", "status", "year"):
        histories.setdefault(pk, []).append((status, year))
    return {pk: derived_status(claims) for pk, claims in histories.items()}


# -- entity indexes (/agencies/, /contractors/, ...) -----------------------------------
# The orders an index can be read in (?sort=), the first the default: most-named first.
# A date order puts entities never named in a dated article last, whichever way it runs.
INDEX_SORTS = ("-articles", "articles", "name", "-name", "first", "-first", "last", "-last")
INDEX_SUMMARY_CHARS = 160  # of the description's first sentence, cut at a word


@dataclass
class IndexRow:
    """One line of an entity index: what the entity is, what else it is called, and when
    the archive's articles name it (first and last: the earliest and latest dated ones)."""

    entity: Entity
    summary: str
    aliases: list[str]
    article_count: int
    first: date | None
    last: date | None
    parent: Entity | None = None  # agencies
    status: str = ""  # programs: the label of the status its history gives


def entity_index_rows(kind: EntityKind, sort: str, version) -> list[IndexRow]:
    """Every entity of `kind` as an index row, in the order `sort` names (INDEX_SORTS; any
    other value gives the default). Four queries at most, whatever the size of the archive:
    the counts and dates of every entity (one aggregate), the entities with their parents,
    their aliases, and programs' status histories; kept until the archive changes, so a
    reader who sorts or turns a page costs no query."""

    def stats():
        # One mention row per (article, entity), so counting rows counts articles; Min and
        # Max skip undated articles.
        published = "article__published"
        rows = (
            Mention.objects.visible()
            .values_list("entity")
            .annotate(n=Count("id"), first=Min(published), last=Max(published))
            .order_by()
        )
        return {entity: (n, first, last) for entity, n, first, last in rows}

    def summary(entity: Entity) -> str:
        # The first sourced sentence, unless an editor has rewritten the description (its
        # sources no longer say what it says): then the first sentence of what they wrote.
        sources = entity.description_sources or []
        if sources and " ".join(s.get("text", "") for s in sources) == entity.description:
            text = sources[0].get("text", "")
        else:
            text = re.split(r"(?<=[.!?])\s+", entity.description.strip(), maxsplit=1)[0]
        text = " ".join(text.split())
        if len(text) <= INDEX_SUMMARY_CHARS:
            return text
        cut = text[: INDEX_SUMMARY_CHARS - 1].rsplit(" ", 1)[0]
        return cut.rstrip(" ,;:–—-") + "…"

    def compute():
        counts = state.remember("entity-index-stats", stats, version)
        # Each kind's own table where it has fields of its own (a parent, a status).
        model = {EntityKind.AGENCY: Agency, EntityKind.PROGRAM: Program}.get(kind, Entity)
        entities = model.objects.filter(kind=kind).prefetch_related("aliases")
        if kind == EntityKind.AGENCY:
            entities = entities.select_related("parent")
        statuses = program_statuses() if kind == EntityKind.PROGRAM else {}
        rows = []
        for e in entities:
            n, first, last = counts.get(e.pk, (0, None, None))
            # The acronym, then the aliases alphabetically (in Python: the same on every
            # database, whatever its collation).
            names = [e.acronym] if e.acronym else []
            names += sorted((a.name for a in e.aliases.all()), key=str.casefold)
            aliases = [a for a in dict.fromkeys(names) if a and a != e.name]
            row = IndexRow(e, summary(e), aliases, n, first, last)
            if kind == EntityKind.AGENCY:
                row.parent = e.parent
            if kind == EntityKind.PROGRAM:
                # As the entity page says it: the history's latest claim, else the stored one.
                value = statuses.get(e.pk) or e.status
                row.status = dict(ProgramStatusChoice.choices).get(value, value)
            rows.append(row)
        return rows

    def name(r: IndexRow):
        return (r.entity.name.casefold(), r.entity.pk)

    def dated(when: date | None, newest_first: bool):
        # Undated (never named in a dated article) last in either direction.
        if when is None:
            return (1, 0)
        return (0, -when.toordinal() if newest_first else when.toordinal())

    keys = {
        "-articles": lambda r: (-r.article_count, *name(r)),
        "articles": lambda r: (r.article_count, *name(r)),
        "name": name,
        "first": lambda r: (*dated(r.first, False), *name(r)),
        "-first": lambda r: (*dated(r.first, True), *name(r)),
        "last": lambda r: (*dated(r.last, False), *name(r)),
        "-last": lambda r: (*dated(r.last, True), *name(r)),
    }
    rows = state.remember(f"entity-index:{kind.value}", compute, version)
    if sort == "-name":
        return sorted(rows, key=name, reverse=True)
    return sorted(rows, key=keys.get(sort, keys[INDEX_SORTS[0]]))


# -- article page -----------------------------------------------------------------------
@dataclass
class Segment:
    text: str
    entity: Entity | None = None


@dataclass
class EntityCount:
    """An entity and how often (mentions in an article, or articles shared)."""

    entity: Entity
    count: int


@dataclass
class KindGroup:
    kind: EntityKind
    items: list[EntityCount]


@dataclass
class RelatedArticle:
    article: Article
    shared: int  # entities in common


@dataclass
class ArticlePage:
    article: Article
    paragraphs: list[list[Segment]]
    entities_by_kind: list[KindGroup]  # every kind, in EntityKind order
    related: list[RelatedArticle]
    relationships: list[Relationship] = field(default_factory=list)

    @property
    def entity_count(self) -> int:
        return sum(len(group.items) for group in self.entities_by_kind)


def article_page(slug: str) -> ArticlePage | None:
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        return None
    mentions = list(Mention.objects.visible().filter(article=article).select_related("entity"))
    spans = sorted(
        (s, e, m.entity) for m in mentions for s, e in m.spans if 0 <= s < e <= len(article.body)
    )
    paragraphs = _segments(article.body, spans)
    by_kind = {k: KindGroup(k, []) for k in EntityKind}
    for m in sorted(mentions, key=lambda m: (-m.count, m.entity.name)):
        by_kind[m.entity.kind].items.append(EntityCount(m.entity, m.count))
    most_named = sorted(mentions, key=lambda m: (-m.count, m.entity_id))
    related = related_articles(article, [m.entity_id for m in most_named])
    relationships = list(
        Relationship.objects.filter(article=article).select_related("subject", "object")
    )
    return ArticlePage(
        article,
        paragraphs,
        list(by_kind.values()),
        related,
        relationships,
    )


# An article's related articles are found among, for each entity it names, the newest
# RELATED_CANDIDATES other articles that name it: one short range of the (entity, article)
# index each, so the cost does not grow with the archive. An entity named in few articles
# contributes all of them; ICE, named in half the archive, its newest 200.
RELATED_CANDIDATES = 200
RELATED_ENTITIES = 20  # the article's most-named entities considered
RELATED_SHOWN = 5


def related_articles(article: Article, entity_ids: list[int]) -> list[RelatedArticle]:
    """The articles sharing the most entities with `article`, newest first among equals."""
    entity_ids = entity_ids[:RELATED_ENTITIES]
    if not entity_ids:
        return []
    visible = Mention.visible_sql()
    ranges = " UNION ALL ".join(
        f"SELECT * FROM (SELECT article_id FROM archive_mention WHERE entity_id = %s AND "
        f"{visible} AND article_id <> %s ORDER BY article_id DESC LIMIT {RELATED_CANDIDATES}) r{i}"
        for i in range(len(entity_ids))
    )
    sql = (
        f"SELECT c.article_id, COUNT(*) AS shared FROM ({ranges}) c "
        "JOIN archive_article a ON a.id = c.article_id "
        "GROUP BY c.article_id, a.published "
        "ORDER BY shared DESC, a.published DESC NULLS LAST, c.article_id DESC "
        f"LIMIT {RELATED_SHOWN}"
    )
    params = [p for eid in entity_ids for p in (eid, article.pk)]
    db = router.db_for_read(Mention)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    articles = Article.objects.using(db).only(*LISTED_FIELDS).in_bulk([r[0] for r in rows])
    return [RelatedArticle(articles[pk], shared) for pk, shared in rows if pk in articles]


def _segments(body: str, spans) -> list[list[Segment]]:
    """Split the body into paragraphs of text and linked-entity segments."""
    out: list[list[Segment]] = []
    pos = 0
    spans = list(spans)
    i = 0
    for para in body.split("\n"):
        start, end = pos, pos + len(para)
        segs: list[Segment] = []
        cur = start
        while i < len(spans) and spans[i][0] < end:
            s, e, entity = spans[i]
            i += 1
            if s < cur or e > end:
                continue  # overlapping or crossing a paragraph: leave as text
            if s > cur:
                segs.append(Segment(body[cur:s]))
            segs.append(Segment(body[s:e], entity))
            cur = e
        if cur < end:
            segs.append(Segment(body[cur:end]))
        if para.strip():
            out.append(segs)
        pos = end + 1
    return out


def passage_url(article_slug: str, paragraph: int) -> str:
    """The address of an article's paragraph (its #p-N anchor)."""
    return f"{reverse('article', args=[article_slug])}#p-{paragraph}"


def paragraph_index(body: str, offset: int) -> int:
    """1-based index of the (non-blank) paragraph containing `offset`: the #p-N anchor."""
    n = 0
    pos = 0
    for para in body.split("\n"):
        if para.strip():
            n += 1
        if offset <= pos + len(para):
            return max(n, 1)
        pos += len(para) + 1
    return max(n, 1)


# -- entity page ------------------------------------------------------------------------
# An entity page is bounded whatever the size of the archive: a summary (counts, a timeline
# of articles per year, the entities most often named alongside) from aggregate queries
# kept until the archive changes, the sourced relationships, and one page of the articles
# that name it with their passages; the rest is a click away (pages, a year, an entity
# named alongside).
RELATED_SHOWN_ON_ENTITY = 15
RELATIONSHIPS_SHOWN = 100


@dataclass
class Passage:
    html: str
    anchor: int


@dataclass
class EntityArticle:
    article: Article
    count: int
    passages: list[Passage]
    more: int
    origin: str


@dataclass
class RelationshipRow:
    """A relationship as seen from one entity: `other` is the entity at the far end."""

    outgoing: bool
    other: Entity
    relationship: Relationship
    paragraph: int  # the #p-N anchor of the quote in its article


@dataclass
class YearCount:
    year: int | None  # None: undated articles
    count: int


@dataclass
class EntitySummary:
    """What is kept between requests (state.remember): aggregates over every mention."""

    article_count: int
    timeline: list[YearCount]  # oldest first, undated last
    related: list[EntityCount]  # named alongside, most articles in common first
    first_date: date | None = None  # the oldest and newest dated article naming it
    last_date: date | None = None


@dataclass
class ArticleFilter:
    """Which of the entity's articles a page lists: a year ("unknown" = undated), an entity
    named in the same articles, and the page number."""

    year: int | str | None = None
    alongside: Entity | None = None
    page: int = 1

    @property
    def active(self) -> bool:
        return self.year is not None or self.alongside is not None


@dataclass
class ArticleList:
    items: list[EntityArticle]
    total: int  # articles matching the filter
    page: int
    num_pages: int  # capped at ENTITY_MAX_PAGES
    more_than_shown: bool  # more matches than the last page reaches: narrow by year

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


@dataclass
class Footnote:
    """Where one sentence of an entity's description comes from: #p-N of an article."""

    number: int
    text: str
    quote: str
    article_slug: str
    article_title: str
    paragraph: int

    @property
    def url(self) -> str:
        return passage_url(self.article_slug, self.paragraph)


@dataclass
class Citation:
    """Where a stated fact comes from: a passage of an article (#p-N), or a public record
    outside the archive (an organisation chart) where no article states it."""

    url: str
    title: str
    quote: str = ""
    external: bool = False


def parent_citation(agency: Entity) -> Citation | None:
    """The source of an agency's "part of", as the catalogue (or an editor) gave it."""
    source = getattr(agency, "parent_source", None)
    if not getattr(agency, "parent_id", None):
        return None
    kind = parent_source_kind(source)
    if kind == "record":
        return Citation(source["url"], source["title"], external=True)
    if kind == "article":
        return Citation(
            passage_url(source["article"], source.get("paragraph") or 1),
            source.get("title") or source["article"],
            source.get("quote", ""),
        )
    return None


@dataclass
class SubAgencies:
    """An agency with every agency below it (ICE under DHS, HSI under ICE): how many
    articles name any of them, and each one's own count."""

    agencies: list[EntityCount]  # every agency below, depth first, with its own articles
    article_count: int  # articles naming the agency or any agency below it
    slugs: list[str]  # the agency's and theirs, for a search of any of them

    @property
    def search_query(self) -> str:
        return "&".join(f"agency={s}" for s in self.slugs)


@dataclass
class RelationshipGroup:
    other: Entity
    rows: list["RelationshipRow"]

    @property
    def kinds(self) -> list[str]:
        """The kinds of claim, each once, in the order shown."""
        return list(dict.fromkeys(row.relationship.get_kind_display() for row in self.rows))


@dataclass
class EntityPage:
    entity: Entity
    detail: Entity  # the Agency/Contractor/Program row, for its own fields
    summary: EntitySummary
    filter: ArticleFilter
    articles: ArticleList
    relationships: list[RelationshipRow]
    relationship_count: int
    children: list[Entity]
    statuses: list
    footnotes: list[Footnote] = field(default_factory=list)
    sub_agencies: SubAgencies | None = None

    @property
    def parent_citation(self) -> Citation | None:
        return parent_citation(self.detail)

    @property
    def current_status(self) -> str:
        """The program's status as its sourced history gives it (the latest claim), so the
        header never disagrees with the history below it; without a history, the stored one."""
        if self.statuses:
            return derived_status([(s.status, s.year) for s in self.statuses])
        return getattr(self.detail, "status", "") or ""

    @property
    def current_status_label(self) -> str:
        value = self.current_status
        return ProgramStatusChoice(value).label if value in ProgramStatusChoice.values else value

    @property
    def related(self) -> list[EntityCount]:
        return self.summary.related

    @property
    def relationship_groups(self) -> list["RelationshipGroup"]:
        """The shown relationships by counterpart (one entity's several claims together),
        the counterpart with most claims first, then by name."""
        groups: dict[int, RelationshipGroup] = {}
        for row in self.relationships:
            groups.setdefault(row.other.pk, RelationshipGroup(row.other, [])).rows.append(row)
        return sorted(groups.values(), key=lambda g: (-len(g.rows), g.other.name.lower()))

    @property
    def timeline(self) -> list[YearCount]:
        return self.summary.timeline


def find_entity(kind_plural: str, slug: str) -> tuple[Entity | None, Entity | None]:
    """(the entity, None), or (None, where it lives now) after a merge or under another
    kind, or (None, None) when there is no such entity."""
    kind = EntityKind.from_plural(kind_plural)
    if kind is None:
        return None, None
    entity, moved_to = entity_by_slug(slug)
    if entity is not None and entity.kind != kind:
        return None, entity
    return entity, moved_to


def entity_by_slug(slug: str) -> tuple[Entity | None, Entity | None]:
    """(the entity, None), or (None, the entity it was merged into), or (None, None),
    whatever its kind."""
    entity = Entity.objects.filter(slug=slug).first()
    if entity is not None:
        return entity, None
    redirect = EntityRedirect.objects.select_related("entity").filter(old_slug=slug).first()
    return None, (redirect.entity if redirect else None)


def entity_detail(entity: Entity) -> Entity:
    """The Agency/Contractor/Program row with what its page shows beside the name."""
    if entity.kind == EntityKind.AGENCY:
        rows = Agency.objects.select_related("parent")
    elif entity.kind == EntityKind.PROGRAM:
        rows = Program.objects.all()
    else:
        rows = Entity.objects.all()
    return rows.prefetch_related("aliases").get(pk=entity.pk)


def entity_summary(entity: Entity, version) -> EntitySummary:
    def compute():
        mentions = Mention.objects.visible().filter(entity=entity)
        days = list(mentions.values_list("article__published").annotate(n=Count("id")).order_by())
        years = _by_year(days)
        dated = [day for day, _ in days if day]
        timeline = sorted(
            (YearCount(year, n) for year, n in years.items()),
            key=lambda y: (y.year is None, y.year or 0),
        )
        # Co-mentions: the other visible mentions in the articles that name this entity.
        alongside = list(
            Mention.objects.visible()
            .filter(article__in=mentions.values("article"))
            .exclude(entity=entity)
            .values("entity")
            .annotate(n=Count("id"))
            .order_by("-n", "entity__name", "entity")[:RELATED_SHOWN_ON_ENTITY]
        )
        entities = Entity.objects.in_bulk([r["entity"] for r in alongside])
        related = sorted(
            (
                EntityCount(entities[r["entity"]], r["n"])
                for r in alongside
                if r["entity"] in entities
            ),
            key=lambda ec: (-ec.count, ec.entity.name),
        )
        return EntitySummary(
            sum(y.count for y in timeline),
            timeline,
            related,
            min(dated, default=None),
            max(dated, default=None),
        )

    return state.remember(f"entity-summary:{entity.pk}", compute, version)


def archive_days(version) -> list[tuple[date | None, int]]:
    """(date, articles published that day) for the whole archive (None: undated), read
    once per change of the archive: the years and the timeline's months come from it."""

    def compute():
        return list(Article.objects.values_list("published").annotate(n=Count("id")).order_by())

    return state.remember("archive-days", compute, version)


def archive_years(version) -> dict[int | None, int]:
    """{year: articles published in it} for the whole archive (None: undated)."""
    return _by_year(archive_days(version))


def _by_year(rows) -> dict[int | None, int]:
    """(date, count) rows -> {year: count}. Grouped by date in the database (which reads the
    date index) and by year here: extracting the year in SQL costs a function call per row
    on SQLite (0.7 s at 100,000 articles, against 40 ms)."""
    years: dict[int | None, int] = {}
    for day, n in rows:
        year = day.year if day else None
        years[year] = years.get(year, 0) + n
    return years


def entity_articles(
    entity: Entity, summary: EntitySummary, chosen: ArticleFilter, version
) -> ArticleList:
    """One page of the articles that name `entity`, newest first (undated last)."""
    articles = Article.objects.all()
    if chosen.year == "unknown":
        articles = articles.filter(published__isnull=True)
        total = next((y.count for y in summary.timeline if y.year is None), 0)
    elif chosen.year is not None:
        articles = articles.filter(published__year=chosen.year)
        total = next((y.count for y in summary.timeline if y.year == chosen.year), 0)
    else:
        total = summary.article_count
    named = [entity] + ([chosen.alongside] if chosen.alongside else [])
    for e in named:
        articles = articles.filter(
            Exists(Mention.objects.visible().filter(article=OuterRef("pk"), entity=e))
        )
    if chosen.alongside is not None:
        total = _articles_naming_both(entity, chosen.alongside, summary, chosen, articles, version)
    size = settings.ENTITY_PAGE_SIZE
    num_pages = max(1, min(-(-total // size), settings.ENTITY_MAX_PAGES))
    page = min(max(chosen.page, 1), num_pages)
    offset = (page - 1) * size
    newest = (F("published").desc(nulls_last=True), "-id")

    # Two ways to the same page, chosen by cost. Walking the published-date index and
    # keeping the articles that name the entity reads about (offset + size) / density rows:
    # cheap for ICE, named in half the archive. Sorting the entity's own mentions reads
    # `total` rows: cheap for an entity named in few. (Measured at 100,000 articles: ICE's
    # first page 0.5 ms walking, 290 ms sorting; Wickr's 50th page 220 ms walking, 18 ms
    # sorting.)
    if chosen.year is None:
        in_scope = sum(archive_years(version).values())
    else:
        in_scope = archive_years(version).get(None if chosen.year == "unknown" else chosen.year, 0)
    # Sorting starts from the mentions of the least-named entity asked for. (Read whichever
    # way is taken, so a page makes the same queries at any size.)
    counts = article_counts(version) if len(named) > 1 else {}
    rarest = min(named, key=lambda e: counts.get(e.pk, 0))
    if (offset + size) * in_scope < total * total / 2:
        ids = list(articles.order_by(*newest).values_list("id", flat=True)[offset : offset + size])
    else:
        mentions = Mention.objects.visible().filter(entity=rarest)
        if chosen.year == "unknown":
            mentions = mentions.filter(article__published__isnull=True)
        elif chosen.year is not None:
            mentions = mentions.filter(article__published__year=chosen.year)
        for e in named:
            if e is not rarest:
                mentions = mentions.filter(
                    Exists(Mention.objects.visible().filter(article=OuterRef("article"), entity=e))
                )
        ids = list(
            mentions.order_by(
                F("article__published").desc(nulls_last=True), "-article_id"
            ).values_list("article_id", flat=True)[offset : offset + size]
        )
    by_article = {
        m.article_id: m
        for m in Mention.objects.visible()
        .filter(entity=entity, article_id__in=ids)
        .select_related("article")
        .only("count", "spans", "origin", "article_id", *(f"article__{f}" for f in ARTICLE_TEXT))
    }
    items = []
    for m in (by_article[i] for i in ids if i in by_article):
        body = m.article.body
        passages = [
            Passage(_passage_html(body, s, e), paragraph_index(body, s))
            for s, e in m.spans[:PASSAGES_PER_ARTICLE]
            if 0 <= s < e <= len(body)
        ]
        more = max(0, len(m.spans) - PASSAGES_PER_ARTICLE)
        items.append(EntityArticle(m.article, m.count, passages, more, m.origin))
    return ArticleList(items, total, page, num_pages, total > num_pages * size)


def _articles_naming_both(entity, other, summary, chosen, articles, version) -> int:
    """How many of `articles` (already filtered) there are: "named alongside" already
    counted the articles the two share, so only a year-filtered or lesser pair is counted."""
    if chosen.year is None:
        for ec in summary.related:
            if ec.entity.pk == other.pk:
                return ec.count
    return state.remember(f"pair:{entity.pk}:{other.pk}:{chosen.year}", articles.count, version)


ARTICLE_TEXT = (*LISTED_FIELDS, "body")


def entity_page(entity: Entity, chosen: ArticleFilter, version) -> EntityPage:
    """`version`: the archive's last change (state.last_change()), the aggregates' key."""
    detail = entity_detail(entity)
    summary = entity_summary(entity, version)
    relationships = Relationship.objects.filter(Q(subject=entity) | Q(object=entity))
    rels = []
    for r in relationships.select_related("subject", "object", "article").order_by("kind", "id")[
        :RELATIONSHIPS_SHOWN
    ]:
        outgoing = r.subject_id == entity.pk
        offset = r.article.body.find(r.quote)
        rels.append(
            RelationshipRow(
                outgoing,
                r.object if outgoing else r.subject,
                r,
                paragraph_index(r.article.body, max(offset, 0)),
            )
        )
    children = list(detail.children.all()) if entity.kind == EntityKind.AGENCY else []
    statuses = (
        list(detail.status_history.select_related("article"))
        if entity.kind == EntityKind.PROGRAM
        else []
    )
    return EntityPage(
        entity,
        detail,
        summary,
        chosen,
        entity_articles(entity, summary, chosen, version),
        rels,
        len(rels) if len(rels) < RELATIONSHIPS_SHOWN else relationships.count(),
        children,
        statuses,
        description_footnotes(detail),
        sub_agencies(entity, children, version),
    )


def description_footnotes(entity: Entity) -> list[Footnote]:
    """The entity's description, sentence by sentence, each with the paragraph of the article
    it comes from (the import stores both with the sources: no query). None when an editor
    has rewritten the description: the catalogue's sources no longer say what it says."""
    sources = entity.description_sources or []
    if not sources or " ".join(s.get("text", "") for s in sources) != entity.description:
        return []
    return [
        Footnote(
            n,
            s.get("text", ""),
            s.get("quote", ""),
            s.get("article", ""),
            s.get("title", "") or s.get("article", ""),
            s.get("paragraph") or 1,
        )
        for n, s in enumerate(sources, 1)
    ]


def sub_agencies(entity: Entity, children: list[Entity], version) -> SubAgencies | None:
    """The agencies below `entity` (every level) and the articles that name it or any of
    them, counted once each, with each one's own count: two queries, none without children,
    kept until the archive changes (the distinct count reads every mention of them all: 37 ms
    for ICE at 100,000 articles)."""
    if entity.kind != EntityKind.AGENCY or not children:
        return None
    return state.remember(f"sub-agencies:{entity.pk}", lambda: _sub_agencies(entity), version)


def _sub_agencies(entity: Entity) -> SubAgencies:
    agencies = {
        a.pk: a for a in Agency.objects.only("id", "name", "slug", "acronym", "kind", "parent_id")
    }
    below: dict[int | None, list[int]] = {}
    for a in sorted(agencies.values(), key=lambda a: (a.name, a.pk)):
        below.setdefault(a.parent_id, []).append(a.pk)
    order, stack, seen = [], list(reversed(below.get(entity.pk, []))), {entity.pk}
    while stack:
        pk = stack.pop()
        if pk in seen:
            continue  # a cycle an editor made
        seen.add(pk)
        order.append(pk)
        stack.extend(reversed(below.get(pk, [])))
    counts = (
        Mention.objects.visible()
        .filter(entity_id__in=[entity.pk, *order])
        .aggregate(
            total=Count("article", distinct=True),
            **{f"e{pk}": Count("article", filter=Q(entity_id=pk), distinct=True) for pk in order},
        )
    )
    rows = [EntityCount(agencies[pk], counts[f"e{pk}"] or 0) for pk in order]
    return SubAgencies(
        rows, counts["total"] or 0, [entity.slug, *(a.slug for a in (agencies[pk] for pk in order))]
    )


def _passage_html(body: str, start: int, end: int):
    marked = body[:start] + MARK_START + body[start:end] + MARK_END + body[end:]
    return mark(sentence_around(marked, start, end + 2))
