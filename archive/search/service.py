"""search(): the one entry point for pages and the API, as a sequence of named steps.

Each step is a function of its own, so the benchmark times exactly what a page runs:

    parse_query -> count -> newest_window -> title_matches -> page_ids -> hits
                                          -> facets
    named_entities (cards) and, when nothing matched, suggestions
"""

from django.conf import settings
from django.db import connections, router
from django.db.models.functions import Substr

from ..models import Article, Entity, EntityKind, Mention
from ..names.text import mark, words
from .engine import Engine
from .entities import acronyms, entities_named, similar_entities
from .postgres import PostgresEngine
from .query import Query, parse
from .results import SORTS, FacetValue, Filters, Hit, PageOutOfRange, Results
from .sqlite import SqliteEngine

FACET_LIMIT = 12
# Characters of a body read for the plain lead shown when a hit has no marked snippet.
LEAD_CHARS = 2000
ENGINES = {"sqlite": SqliteEngine, "postgresql": PostgresEngine}


def get_engine(using: str | None = None) -> Engine:
    """The engine for the database searches read (the router's choice), or for `using`."""
    using = using or router.db_for_read(Article)
    vendor = connections[using].vendor
    try:
        return ENGINES[vendor](using)
    except KeyError:
        raise RuntimeError(f"No search engine for the {vendor!r} database") from None


def search(
    text: str = "",
    *,
    filters: Filters | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
    with_facets: bool = True,
    with_highlights: bool = True,
) -> Results:
    filters = filters or Filters()
    engine = get_engine()
    with engine.session():
        query = parse_query(text)
        results = Results(
            query,
            total=count(engine, query, filters),
            page=page,
            page_size=page_size,
            sort=normal_sort(query, sort),
            window=settings.SEARCH_WINDOW,
        )
        window_ids = newest_window(engine, results, filters, needed=with_facets)
        results.title_ids = title_matches(engine, results, filters, window_ids)
        if not 1 <= page <= results.num_pages:
            raise PageOutOfRange(page)
        ids = page_ids(engine, results, filters, window_ids)
        results.entities = named_entities(text, query)
        results.hits = hits(engine, query, ids, results.entities, with_highlights)
        if with_facets:
            results.facets, results.publications = facets(engine, window_ids, filters)
        if results.total == 0 and not query.is_empty:
            results.suggestions = engine.suggest(query)
            results.similar_entities = similar_entities(text)
        return results


def parse_query(text: str) -> Query:
    return parse(text, acronyms())


def normal_sort(query: Query, sort: str) -> str:
    if sort not in SORTS:
        sort = "relevance"
    if query.is_empty and sort == "relevance":
        sort = "newest"  # a browse has nothing to rank by
    return sort


def count(engine: Engine, query: Query, filters: Filters) -> int:
    return engine.count(query, filters)


def newest_window(engine: Engine, results: Results, filters: Filters, needed: bool) -> list[int]:
    """The ids of the newest `window` matches (all of them when fewer match): what facets
    count, and what relevance ranks when more than the window match."""
    if not results.total or not (needed or results.windowed):
        return []
    return engine.window_ids(results.query, filters, results.window, results.total)


def title_matches(
    engine: Engine, results: Results, filters: Filters, window_ids: list[int]
) -> list[int]:
    """When relevance would rank only the newest window: the matches older than it whose
    title answers the query, every required word (the newest SEARCH_TITLE_WINDOW of them),
    ranked with it. A
    title match outranks a body match (title weight), so the best answers are among them
    whatever their age; they come from an index of titles, at a cost bounded like the
    window's."""
    if not (results.windowed and results.sort == "relevance" and window_ids):
        return []
    return engine.title_candidates(
        results.query, filters, min(window_ids), settings.SEARCH_TITLE_WINDOW
    )


def page_ids(
    engine: Engine, results: Results, filters: Filters, window_ids: list[int]
) -> list[int]:
    if not results.total:
        return []
    return engine.page_ids(
        results.query,
        filters,
        results.sort,
        results.page_size,
        results.offset,
        results.total,
        window_ids if results.windowed else None,
        results.title_ids,
    )


def named_entities(text: str, query: Query) -> list[Entity]:
    """Entities the query asks for (shown as cards), not those it excludes ("-Equifax")."""
    excluded = {" ".join(t.words) for t in query.must_not}
    return [
        e
        for e in entities_named(text)
        if not {" ".join(words(e.name)), " ".join(words(e.acronym))} & excluded
    ]


def hits(
    engine: Engine, query: Query, ids: list[int], named: list[Entity], with_highlights: bool
) -> list[Hit]:
    """The page's articles, in `ids` order, with marked title and snippet and their entities;
    highlights are computed for these rows only."""
    if not ids:
        return []
    # The body stays in the database: the page shows a bounded excerpt of it (a huge body
    # would otherwise be loaded whole for every search that lists it).
    articles = Article.objects.defer("body").in_bulk(ids)
    marks = engine.highlights(query, ids) if with_highlights and not query.is_empty else {}
    leads = dict(
        Article.objects.filter(id__in=[i for i in ids if i not in marks]).values_list(
            "id", Substr("body", 1, LEAD_CHARS)
        )
    )
    by_article: dict[int, list[Entity]] = {}
    for m in (
        Mention.objects.visible()
        .filter(article_id__in=ids)
        .select_related("entity")
        .order_by("-count", "entity__name")
    ):
        by_article.setdefault(m.article_id, []).append(m.entity)
    named_ids = {e.id for e in named}
    out = []
    for i in ids:
        article = articles[i]
        title, snippet = marks.get(i, (None, None))
        entities = by_article.get(i, [])
        out.append(
            Hit(
                article=article,
                title_html=mark(title if title is not None else article.title),
                snippet_html=mark(snippet if snippet is not None else _lead(leads.get(i, ""))),
                entities=entities,
                matched_entities=[e for e in entities if e.id in named_ids],
            )
        )
    return out


def facets(
    engine: Engine, window_ids: list[int], filters: Filters
) -> tuple[dict[str, list[FacetValue]], list[FacetValue]]:
    """Entity facets (the top FACET_LIMIT of each kind, plus any selected value) and
    publications, counted over the window in one grouped query each."""
    counts, pubs = engine.facet_counts(window_ids)
    selected = {i for ids in filters.entity_ids.values() for i in ids}
    entities = Entity.objects.in_bulk(list(counts))
    # Ties broken by label (then id), so the cut and the order never depend on the database.
    top = sorted(entities.values(), key=lambda e: (-counts[e.id], e.short_name.lower(), e.id))
    by_kind: dict[str, list[FacetValue]] = {k.value: [] for k in EntityKind}
    for e in top:
        bucket = by_kind[e.kind]
        if len(bucket) < FACET_LIMIT or e.id in selected:
            bucket.append(FacetValue(e, e.short_name, e.slug, counts[e.id], e.id in selected))
    for bucket in by_kind.values():  # a selected value past the cut keeps its place
        bucket.sort(key=lambda f: (-f.count, f.label.lower(), f.entity.id))
    publications = [
        FacetValue(None, p, p, n, p == filters.publication)
        for p, n in sorted(pubs.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return by_kind, publications


def after_import() -> None:
    """Refresh what the database does not keep in step by itself (run after an import)."""
    get_engine(router.db_for_write(Article)).after_import()


def _lead(body: str, n: int = 30) -> str:
    first = body.split("\n", 1)[0].split(maxsplit=n)
    return " ".join(first[:n]) + ("…" if len(first) > n else "")
