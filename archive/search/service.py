"""search(): the one entry point for pages and the API, as a sequence of named steps.

Each step is a function of its own, so the benchmark times exactly what a page runs:

    parse_query -> count -> newest_window -> title_matches -> page_ids -> hits
                                          -> facets
    named_entities (cards) and, when nothing matched, suggestions
"""

from dataclasses import replace

from django.conf import settings
from django.db import connections, router
from django.db.models.functions import Substr

from .. import state
from ..models import Article, Entity, EntityKind, Mention
from ..names.text import mark, words
from .engine import Engine
from .entities import (
    acronyms,
    entities_named,
    entity_names,
    names_any,
    reading_version,
    similar_entities,
)
from .postgres import PostgresEngine
from .query import AnyOf, Query, Term, parse
from .results import SORTS, FacetValue, Filters, Hit, PageOutOfRange, Results
from .sqlite import SqliteEngine

FACET_LIMIT = 12
# How many more values of a kind a facet's "show all" lists (bounded, like every page).
FACET_MAX = 200
# Characters of a body read for the plain lead shown when a hit has no marked snippet.
LEAD_CHARS = 2000
# Where an entity's first mention is, for a mention that records no place.
MAX_POSITION = 10**12
# An article that names the entity within its first this many characters is about it.
LEAD_POSITION = 500
ENGINES = {"sqlite": SqliteEngine, "postgresql": PostgresEngine}


def get_engine(using: str | None = None) -> Engine:
    """The engine for the database searches read (the router's choice), or for `using`."""
    using = using or router.db_for_read(Article)
    vendor = connections[using].vendor
    try:
        return ENGINES[vendor](using)
    except KeyError:
        raise RuntimeError(f"No search engine for the {vendor!r} database") from None


_UNREAD = object()


def search(
    text: str = "",
    *,
    filters: Filters | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
    with_facets: bool = True,
    with_highlights: bool = True,
    version=_UNREAD,
) -> Results:
    """`version`: the archive's last change if the caller has read it (a page has, for its
    validators); else it is read once here."""
    filters = filters or Filters()
    engine = get_engine()
    if version is _UNREAD:
        version = state.last_change()
    with engine.session(), reading_version(version):
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
        results.entities = named_entities(text, query)
        ids = page_ids(engine, results, filters, window_ids)
        results.hits = hits(
            engine, mark_query(query, results.entities), ids, results.entities, with_highlights
        )
        if with_facets:
            results.facets, results.publications, results.more_facets = facets(
                engine, query, filters, window_ids, results.total
            )
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
        results.query,
        filters,
        min(window_ids),
        settings.SEARCH_TITLE_WINDOW,
        common=settings.SEARCH_TITLE_COMMON,
    )


def page_ids(
    engine: Engine, results: Results, filters: Filters, window_ids: list[int]
) -> list[int]:
    """The page's ids. By relevance, when the query names an entity (its cards), the
    matches with a visible mention of it come first (entity_first), then the others in the
    engine's own order."""
    if not results.total:
        return []
    first: list[int] = []
    if results.sort == "relevance" and not results.query.is_empty and results.entities:
        first = entity_first(engine, results, filters, window_ids)
    head = first[results.offset : results.offset + results.page_size]
    wanted = results.page_size - len(head)
    if wanted <= 0:
        return head
    if first:
        filters = replace(filters, exclude_ids=tuple(first))
    rest = engine.page_ids(
        results.query,
        filters,
        results.sort,
        wanted,
        max(0, results.offset - len(first)),
        results.total,
        window_ids if results.windowed else None,
        results.title_ids,
    )
    return head + rest


def entity_first(
    engine: Engine, results: Results, filters: Filters, window_ids: list[int]
) -> list[int]:
    """The matches relevance ranks (the window and the title tier when windowed, else all)
    that visibly mention an entity the query names, best first: naming more of the named
    entities, then naming one in the title, then naming one in the opening (LEAD_POSITION),
    then more mentions, then an earlier first mention, then newest. The same data and
    the same sort on every engine, so the engines agree on this order (issue 8, item 7)."""
    if results.windowed:
        candidates = [*window_ids, *results.title_ids]
    else:
        candidates = window_ids or engine.window_ids(
            results.query, filters, results.total, results.total
        )
    if not candidates:
        return []
    named = [e.id for e in results.entities]
    clause, params = engine.ids("m.article_id", candidates)
    marks = ", ".join(["%s"] * len(named))
    rows = engine.fetch(
        f"SELECT m.article_id, m.entity_id, m.count, {engine.first_span_sql('m.spans')}, "
        "a.title, a.published "
        "FROM archive_mention m JOIN archive_article a ON a.id = m.article_id "
        f"WHERE {Mention.visible_sql('m')} AND m.entity_id IN ({marks}) AND {clause}",
        [*named, *params],
    )
    by_article: dict[int, list] = {}
    for article_id, entity_id, n, first, title, published in rows:
        first_at = MAX_POSITION if first is None else int(first)
        entry = by_article.setdefault(article_id, [set(), 0, MAX_POSITION, title, published])
        entry[0].add(entity_id)
        entry[1] += n
        entry[2] = min(entry[2], first_at)
    keys = []
    for article_id, (entities, n, first_at, title, published) in by_article.items():
        lead = first_at < LEAD_POSITION
        keys.append((article_id, (-len(entities), not lead, -n, first_at), published, title))
    # Stable sorts, least significant first: id, then date (undated last), then the score
    # without "names one in the title" (a linker run per title: read below only as needed).
    keys.sort(key=lambda k: k[0], reverse=True)
    keys.sort(key=lambda k: (k[2] is not None, str(k[2] or "")), reverse=True)
    keys.sort(key=lambda k: k[1])
    return _titled_first(keys, by_article, results.offset + results.page_size)


def _titled_first(keys: list, by_article: dict, needed: int) -> list[int]:
    """`keys` (sorted by everything but the title) in the full order, where within each
    number of named entities the articles whose title names one come first; exact for
    the first `needed` ids, the rest in any order (the page only leaves them out of the
    others). Titles are read in order until `needed` are placed: ICE's 2,000-odd candidate
    titles each cost a linker run (0.17 s a page) where a page needs a few dozen."""
    out: list[int] = []
    groups: dict[int, list] = {}
    for k in keys:
        groups.setdefault(k[1][0], []).append(k)
    for _, group in sorted(groups.items()):
        if len(out) >= needed:
            out += [k[0] for k in group]
            continue
        titled, untitled, read = [], [], 0
        for k in group:
            if len(out) + len(titled) >= needed:
                break
            read += 1
            named = frozenset(by_article[k[0]][0])
            (titled if names_any(k[3], named) else untitled).append(k[0])
        out += titled + untitled + [k[0] for k in group[read:]]
    return out


def mark_query(query: Query, named: list[Entity]) -> Query:
    """What the highlights mark: the query's terms, except that words which spell a named
    entity's name are marked as that entity's names (every name it goes by) and as the typed
    phrase, never one by one ("Immigration and Customs Enforcement" marks neither a lone
    "and" nor the "Customs" of "Customs and Border Protection")."""
    if not named or query.is_empty:
        return query
    terms = query.positive_terms()
    names = [n for ids in entity_names(e.id for e in named).values() for n in ids]
    name_words = {tuple(words(n)) for n in names} - {()}
    flat = [(i, t.words[0]) for i, t in enumerate(terms) if len(t.words) == 1 and not t.prefix]
    covered: set[int] = set()
    seq = [w for _, w in flat]
    for nw in name_words:
        for start in range(len(seq) - len(nw) + 1):
            if tuple(seq[start : start + len(nw)]) == nw:
                covered |= {flat[j][0] for j in range(start, start + len(nw))}
    for i, t in enumerate(terms):
        if t.words in name_words:
            covered.add(i)
    kept = [t for i, t in enumerate(terms) if i not in covered]
    extra = [Term(nw) for nw in sorted(name_words)]
    typed = tuple(w for t in terms for w in t.words)
    if len(typed) > 1 and not any(t.prefix for t in terms):
        extra.append(Term(typed))
    return Query(must=[AnyOf(tuple(dict.fromkeys([*kept, *extra])))], raw=query.raw)


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
        article = articles.get(i)
        if article is None:
            # Deleted by an editor since the page of ids was read (on SQLite each statement
            # reads its own snapshot): the page shows one fewer, never a 500.
            continue
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
    engine: Engine, query: Query, filters: Filters, window_ids: list[int], total: int = 0
) -> tuple[dict[str, list[FacetValue]], list[FacetValue], dict[str, list[FacetValue]]]:
    """Entity facets and publications, each count the number of results a click on it
    gives (disjunctive faceting), counted over the window in grouped queries:

    - a kind with nothing selected: a click adds an AND, so the count is how many of the
      current results name the value;
    - a kind with values selected (its values are OR-ed): the counts ignore that kind's own
      selection, and a click on another value gives the articles that name a selected value
      or it, so that is its count; a selected value shows how many results name it;
    - publications (one at a time): a click replaces the choice, so each count ignores it.

    The top FACET_LIMIT values of each kind (plus any selected value) are shown; the rest, up
    to FACET_MAX, are in `more` for a "show all"."""
    counts, pubs = engine.facet_counts(window_ids)
    entity_counts = {k.value: dict(counts) for k in EntityKind}  # kind -> counts it shows
    selected = {i for ids in filters.entity_ids.values() for i in ids}
    for kind, chosen in filters.entity_ids.items():
        if chosen:
            entity_counts[kind] = _click_counts(engine, query, filters, total, kind, chosen)
    if filters.publication:
        _, pubs = engine.facet_counts(
            _window_without(engine, query, filters, total, publication="")
        )
    shown = {i for c in entity_counts.values() for i in c}
    entities = Entity.objects.in_bulk(list(shown))
    by_kind: dict[str, list[FacetValue]] = {k.value: [] for k in EntityKind}
    more: dict[str, list[FacetValue]] = {k.value: [] for k in EntityKind}
    for kind, kind_counts in entity_counts.items():
        values = [
            FacetValue(e, e.short_name, e.slug, kind_counts[e.id], e.id in selected)
            for i in kind_counts
            if (e := entities.get(i)) is not None and e.kind == kind
        ]
        # Ties broken by label (then id), so the cut and the order never depend on the
        # database.
        values.sort(key=lambda f: (-f.count, f.label.lower(), f.entity.id))
        for f in values:
            if len(by_kind[kind]) < FACET_LIMIT or f.selected:  # a selected value keeps its place
                by_kind[kind].append(f)
            elif len(more[kind]) < FACET_MAX:
                more[kind].append(f)
    publications = [
        FacetValue(None, p, p, n, p == filters.publication)
        for p, n in sorted(pubs.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return by_kind, publications, more


def _window_without(
    engine: Engine, query: Query, filters: Filters, at_least: int, **changes
) -> list[int]:
    """The newest-window ids of the matches under `filters` with `changes` made (a filter
    dropped). Not counted first: dropping a filter matches at least the `at_least` the
    search found, which is all the engine's plan needs to know (dense or sparse)."""
    others = replace(filters, **changes)
    return engine.window_ids(query, others, settings.SEARCH_WINDOW, at_least)


def _click_counts(
    engine: Engine, query: Query, filters: Filters, total: int, kind: str, chosen: list[int]
) -> dict[int, int]:
    """For a kind whose values `chosen` are OR-ed: over the matches of every other filter,
    a selected value's own count and, for any other value, how many articles name a chosen
    value or it (what a click that adds it gives)."""
    ids = _window_without(
        engine, query, filters, total, entity_ids={**filters.entity_ids, kind: []}
    )
    if not ids:
        return {}
    own, _ = engine.facet_counts(ids, publications=False)
    having = set(engine.articles_naming(ids, chosen))
    extra, _ = engine.facet_counts([i for i in ids if i not in having], publications=False)
    chosen_set = set(chosen)
    return {e: (n if e in chosen_set else len(having) + extra.get(e, 0)) for e, n in own.items()}


def after_import() -> None:
    """Refresh what the database does not keep in step by itself (run after an import)."""
    get_engine(router.db_for_write(Article)).after_import()


def _lead(body: str, n: int = 30) -> str:
    first = body.split("\n", 1)[0].split(maxsplit=n)
    return " ".join(first[:n]) + ("…" if len(first) > n else "")
