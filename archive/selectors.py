"""Read-side queries for pages and the API. Nothing here writes, and nothing here speaks
HTTP: a selector returns data (None when there is nothing), and the views decide what that
means as a response.

Each function does a fixed number of queries whatever the size of the data; tests assert
the bound for every page.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from .models import (
    Agency,
    Article,
    Entity,
    EntityKind,
    EntityRedirect,
    Mention,
    Program,
    Relationship,
)
from .names.text import MARK_END, MARK_START, mark, sentence_around

PASSAGES_PER_ARTICLE = 3


# -- home and indexes -------------------------------------------------------------------
def archive_counts() -> dict:
    counts = dict(Entity.objects.values_list("kind").annotate(n=Count("id")).order_by())
    return {
        "articles": Article.objects.count(),
        "agencies": counts.get("agency", 0),
        "contractors": counts.get("contractor", 0),
        "programs": counts.get("program", 0),
    }


def top_entities(limit: int = 8) -> dict[str, list[Entity]]:
    """The most-mentioned entities of each kind (one query)."""
    out: dict[str, list[Entity]] = {k.value: [] for k in EntityKind}
    for e in (
        Entity.objects.with_article_counts()
        .filter(article_count__gt=0)
        .order_by("-article_count", "name")
    ):
        if len(out[e.kind]) < limit:
            out[e.kind].append(e)
    return out


def entity_index(kind: EntityKind):
    return Entity.objects.with_article_counts().filter(kind=kind).order_by("-article_count", "name")


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
    ids = [m.entity_id for m in mentions]
    # One filter() call, so the visibility condition applies to the mention rows it counts.
    related = (
        Article.objects.exclude(pk=article.pk)
        .filter(Mention.visible_q("mentions__"), mentions__entity_id__in=ids)
        .annotate(shared=Count("mentions__entity", distinct=True))
        .order_by("-shared", F("published").desc(nulls_last=True), "-id")[:5]
    )
    relationships = list(
        Relationship.objects.filter(article=article).select_related("subject", "object")
    )
    return ArticlePage(
        article,
        paragraphs,
        list(by_kind.values()),
        [RelatedArticle(a, a.shared) for a in related],
        relationships,
    )


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
class YearGroup:
    year: int | None  # None: undated articles
    articles: list[Article]


@dataclass
class EntityPage:
    entity: Entity
    detail: Entity  # the Agency/Contractor/Program row, for its own fields
    articles: list[EntityArticle]
    related: list[EntityCount]
    relationships: list[RelationshipRow]
    children: list[Entity]
    statuses: list
    timeline: list[YearGroup]


def find_entity(kind_plural: str, slug: str) -> tuple[Entity | None, Entity | None]:
    """(the entity, None), or (None, where it lives now) after a merge or under another
    kind, or (None, None) when there is no such entity."""
    kind = EntityKind.from_plural(kind_plural)
    if kind is None:
        return None, None
    entity = Entity.objects.filter(slug=slug).first()
    if entity is not None:
        return (entity, None) if entity.kind == kind else (None, entity)
    redirect = EntityRedirect.objects.select_related("entity").filter(old_slug=slug).first()
    return None, (redirect.entity if redirect else None)


def entity_page(entity: Entity) -> EntityPage:
    model = {"agency": Agency, "program": Program}.get(entity.kind)
    if model is Agency:
        detail = (
            Agency.objects.select_related("parent").prefetch_related("aliases").get(pk=entity.pk)
        )
    elif model is Program:
        detail = Program.objects.prefetch_related("aliases").get(pk=entity.pk)
    else:
        detail = Entity.objects.prefetch_related("aliases").get(pk=entity.pk)
    mentions = list(
        Mention.objects.visible()
        .filter(entity=entity)
        .select_related("article")
        .order_by("article__published", "article__id")
    )
    articles = []
    for m in mentions:
        passages = [
            Passage(_passage_html(m.article.body, s, e), paragraph_index(m.article.body, s))
            for s, e in m.spans[:PASSAGES_PER_ARTICLE]
        ]
        articles.append(
            EntityArticle(
                m.article, m.count, passages, max(0, len(m.spans) - PASSAGES_PER_ARTICLE), m.origin
            )
        )
    articles.sort(
        key=lambda ea: (ea.article.published is not None, ea.article.published, ea.article.id),
        reverse=True,
    )

    article_ids = [m.article_id for m in mentions]
    related_counts = list(
        Mention.objects.visible()
        .filter(article_id__in=article_ids)
        .exclude(entity=entity)
        .values("entity")
        .annotate(n=Count("article", distinct=True))
        .order_by("-n", "entity__name", "entity")[:15]
    )
    ents = Entity.objects.in_bulk([r["entity"] for r in related_counts])
    related = sorted(
        (EntityCount(ents[r["entity"]], r["n"]) for r in related_counts if r["entity"] in ents),
        key=lambda ec: (-ec.count, ec.entity.name),
    )

    rels = []
    for r in (
        Relationship.objects.filter(Q(subject=entity) | Q(object=entity))
        .select_related("subject", "object", "article")
        .order_by("kind", "id")
    ):
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

    children = list(detail.children.all()) if model is Agency else []
    statuses = list(detail.status_history.select_related("article")) if model is Program else []
    timeline: dict[int | None, list[Article]] = defaultdict(list)
    for ea in sorted(articles, key=lambda ea: (ea.article.published is None, ea.article.published)):
        timeline[ea.article.published.year if ea.article.published else None].append(ea.article)
    return EntityPage(
        entity,
        detail,
        articles,
        related,
        rels,
        children,
        statuses,
        [YearGroup(year, arts) for year, arts in timeline.items()],
    )


def _passage_html(body: str, start: int, end: int):
    marked = body[:start] + MARK_START + body[start:end] + MARK_END + body[end:]
    return mark(sentence_around(marked, start, end + 2))
