"""The search interface shared by both engines: parameters in, Results out.

An engine only knows how to turn a parsed Query into SQL for its database (a match
subquery, a rank expression, highlights). Filters, facets, pagination, entity cards and
the assembly of results are shared, so both databases behave the same.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..models import Article, Entity, EntityKind, Mention
from .query import AnyOf, Query, Term, parse, words

# Private-use characters the engines put around matches; they are removed from article text
# on import, so after escaping they can only be ours.
MARK_START, MARK_END = "\ue000", "\ue001"
SORTS = ("relevance", "newest", "oldest")
FACET_LIMIT = 12


def mark(fragment: str) -> SafeString:
    """Escape first, then mark: engine output never reaches the page unescaped."""
    html = escape(fragment or "")
    return mark_safe(html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


@dataclass
class Filters:
    entity_ids: dict[str, list[int]] = field(default_factory=dict)  # kind -> ids (any of)
    published_after: dt.date | None = None
    published_before: dt.date | None = None
    publication: str = ""

    def sql(self, alias: str = "a", drive: bool = False) -> tuple[str, list]:
        """A WHERE fragment over the article table `alias` (always true when empty).

        With `drive`, the first entity facet is written as `id IN (its mentions)`, so a
        query with no text starts from the mention index instead of every article."""
        parts, params = ["1=1"], []
        if self.published_after:
            parts.append(f"{alias}.published >= %s")
            params.append(self.published_after)
        if self.published_before:
            parts.append(f"{alias}.published <= %s")
            params.append(self.published_before)
        if self.publication:
            parts.append(f"{alias}.publication = %s")
            params.append(self.publication)
        for ids in self.entity_ids.values():
            if ids:
                marks = ", ".join(["%s"] * len(ids))
                if drive:
                    drive = False
                    parts.append(
                        f"{alias}.id IN (SELECT article_id FROM archive_mention "
                        f"WHERE {Mention.visible_sql()} AND entity_id IN ({marks}))"
                    )
                    params += ids
                    continue
                # EXISTS probes the (article, entity) index per candidate row; IN would first
                # list every article of a big entity (50,000 for ICE at 100k articles).
                parts.append(
                    f"EXISTS (SELECT 1 FROM archive_mention fm WHERE fm.article_id = {alias}.id "
                    f"AND {Mention.visible_sql('fm')} AND fm.entity_id IN ({marks}))"
                )
                params += ids
        return " AND ".join(parts), params

    @property
    def active(self) -> bool:
        return bool(
            any(self.entity_ids.values())
            or self.published_after
            or self.published_before
            or self.publication
        )


@dataclass
class Hit:
    article: Article
    title_html: SafeString
    snippet_html: SafeString
    entities: list[Entity] = field(default_factory=list)
    matched_entities: list[Entity] = field(default_factory=list)


@dataclass
class FacetValue:
    entity: Entity | None
    label: str
    value: str
    count: int
    selected: bool


@dataclass
class Results:
    query: Query
    hits: list[Hit]
    total: int
    page: int
    page_size: int
    sort: str
    facets: dict[str, list[FacetValue]]
    publications: list[FacetValue]
    entities: list[Entity]  # entities the query names: shown as cards
    suggestions: list[str] = field(default_factory=list)
    similar_entities: list[Entity] = field(default_factory=list)
    # When more than WINDOW articles match, relevance ranking and facet counts cover the
    # WINDOW most recently added matches (the total stays exact); pages say so.
    window: int = 0

    @property
    def windowed(self) -> bool:
        return bool(self.window) and self.total > self.window

    @property
    def rankable(self) -> int:
        """How many results can be paged through in this order."""
        if self.windowed and self.sort == "relevance":
            return self.window
        return self.total

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.rankable // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.hits) - 1 if self.hits else 0

    @property
    def start_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.total else 0


class PageOutOfRange(Exception):
    pass


class Engine:
    """Shared SQL over `archive_article a`; engines supply the match and rank pieces.

    Cost is bounded by WINDOW, not by the size of the match set: ranking and facets look at
    the WINDOW most recently added matches (newest ids), found by walking the index in id
    order; the total is an exact count, which both indexes answer cheaply.
    """

    vendor = ""

    # -- per-vendor pieces -------------------------------------------------------------
    def matches_sql(self, query: Query) -> tuple[str, list]:
        """SQL selecting the ids of matching articles (one column)."""
        raise NotImplementedError

    def window_sql(
        self, query: Query, where: str, params: list, window: int, total: int
    ) -> tuple[str, list]:
        """The ids of the `window` newest matches passing `where`, newest first."""
        raise NotImplementedError

    def ids_clause(self, column: str, ids: list[int]) -> tuple[str, list]:
        """`column` is one of `ids`, as one parameter (a window holds thousands)."""
        raise NotImplementedError

    def ranked_page_sql(self, query, where, params, limit, offset, window_ids):
        """Ranked ids; only among window_ids when given (the match set is larger)."""
        raise NotImplementedError

    def highlights(self, query: Query, ids: list[int]) -> dict[int, tuple[str, str]]:
        raise NotImplementedError

    def closest_word(self, word: str) -> str | None:
        """The archive's closest word to an unknown `word` (None when known or nothing close)."""
        return None

    def after_import(self) -> None:
        """Refresh anything the database does not keep in step by itself."""

    def prepare(self) -> None:
        """Per-search session settings (inside the search's transaction)."""

    # -- shared ------------------------------------------------------------------------
    def fetch(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def match_clause(self, query: Query) -> tuple[str, list]:
        """ " AND a.id [NOT] IN (...)" restricting articles `a` to the query ("" for a browse).

        Exclusions alone ("-equifax") browse everything except what they name."""
        if query.must:
            msql, mparams = self.matches_sql(query)
            return f" AND a.id IN ({msql})", mparams
        if query.must_not:
            msql, mparams = self.matches_sql(Query(must=[AnyOf(tuple(query.must_not))]))
            return f" AND a.id NOT IN ({msql})", mparams
        return "", []

    def window_ids(self, query: Query, filters: Filters, window: int, total: int) -> list[int]:
        """The `window` newest matching ids (all of them when fewer match), in one query
        that walks an index in id order and stops early."""
        if query.must:
            where, params = filters.sql("a")
            sql, params = self.window_sql(query, where, params, window, total)
        else:
            where, params = filters.sql("a", drive=True)
            match, mparams = self.match_clause(query)
            sql = (
                f"SELECT a.id FROM archive_article a WHERE {where}{match} "
                "ORDER BY a.id DESC LIMIT %s"
            )
            params = [*params, *mparams, window]
        return [r[0] for r in self.fetch(sql, params)]

    def sorted_page_sql(self, query, filters, sort, limit, offset, total):
        where, params = filters.sql("a")
        match, mparams = self.match_clause(query)
        direction = "ASC" if sort == "oldest" else "DESC"
        # Undated articles last in both directions; the id breaks ties deterministically.
        sql = (
            f"SELECT a.id FROM archive_article a WHERE {where}{match} "
            f"ORDER BY a.published {direction} NULLS LAST, a.id {direction} LIMIT %s OFFSET %s"
        )
        return sql, [*params, *mparams, limit, offset]

    def page_ids(self, query, filters, sort, limit, offset, total, window_ids) -> list[int]:
        if query.is_empty or sort != "relevance":
            sql, params = self.sorted_page_sql(query, filters, sort, limit, offset, total)
        else:
            where, params = filters.sql("a")
            sql, params = self.ranked_page_sql(query, where, params, limit, offset, window_ids)
        return [r[0] for r in self.fetch(sql, params)]

    def count(self, query: Query, filters: Filters) -> int:
        where, params = filters.sql("a", drive=not query.must)
        if query.must and not filters.active:
            msql, mparams = self.matches_sql(query)
            return self.fetch(f"SELECT COUNT(*) FROM ({msql}) m", mparams)[0][0]
        match, mparams = self.match_clause(query)
        sql = f"SELECT COUNT(*) FROM archive_article a WHERE {where}{match}"
        return self.fetch(sql, params + mparams)[0][0]

    def exists(self, query: Query) -> bool:
        msql, mparams = self.matches_sql(query)
        return bool(self.fetch(f"SELECT 1 FROM ({msql}) m LIMIT 1", mparams))

    def facet_counts(self, ids: list[int]) -> tuple[dict[int, int], dict[str, int]]:
        """Entity and publication counts over the window's ids: one grouped query each, and
        no need to match or filter again (the ids already satisfy both)."""
        if not ids:
            return {}, {}
        mclause, mparams = self.ids_clause("m.article_id", ids)
        aclause, aparams = self.ids_clause("a.id", ids)
        entities = self.fetch(
            "SELECT m.entity_id, COUNT(*) FROM archive_mention m "
            f"WHERE {Mention.visible_sql('m')} AND {mclause} GROUP BY m.entity_id",
            mparams,
        )
        publications = self.fetch(
            "SELECT a.publication, COUNT(*) FROM archive_article a "
            f"WHERE a.publication <> '' AND {aclause} GROUP BY a.publication",
            aparams,
        )
        return dict(entities), dict(publications)

    def suggest(self, query: Query) -> list[str]:
        """One "did you mean": the whole query with each unknown word replaced by the
        closest word of the archive, offered only when that query finds something."""
        fixed_any = False
        cache: dict[str, str] = {}

        def fix_term(term: Term) -> Term:
            nonlocal fixed_any
            new = []
            for word in term.words:
                if word not in cache:
                    cache[word] = self.closest_word(word) or word
                new.append(cache[word])
            if tuple(new) != term.words:
                fixed_any = True
            return term.with_words(tuple(new))

        fixed = Query(
            must=[AnyOf(tuple(fix_term(t) for t in clause.terms)) for clause in query.must],
            must_not=list(query.must_not),
        )
        if not fixed_any or not self.exists(fixed):
            return []
        return [str(fixed)]


def get_engine() -> Engine:
    from .postgres import PostgresEngine
    from .sqlite import SqliteEngine

    engines = {"sqlite": SqliteEngine, "postgresql": PostgresEngine}
    try:
        return engines[connection.vendor]()
    except KeyError:
        raise RuntimeError(f"No search engine for the {connection.vendor!r} database") from None


def after_import() -> None:
    get_engine().after_import()


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
    """The one search entry point for pages and the API."""
    with transaction.atomic():
        engine = get_engine()
        engine.prepare()
        return _search(
            engine, text, filters or Filters(), sort, page, page_size, with_facets, with_highlights
        )


def _search(engine, text, filters, sort, page, page_size, with_facets, with_highlights) -> Results:
    from .entities import acronyms, entities_named, similar_entities

    window = settings.SEARCH_WINDOW
    query = parse(text, acronyms())
    if sort not in SORTS:
        sort = "relevance"
    if query.is_empty and sort == "relevance":
        sort = "newest"  # a browse has nothing to rank by
    total = engine.count(query, filters)
    # The newest `window` matches: all of them when fewer match, so facets are then exact.
    window_ids = (
        engine.window_ids(query, filters, window, total)
        if total and with_facets or total > window
        else []
    )
    windowed = total > window
    rankable = window if windowed and sort == "relevance" else total
    num_pages = max(1, -(-rankable // page_size))
    if page < 1 or page > num_pages:
        raise PageOutOfRange(page)
    offset = (page - 1) * page_size
    ids = (
        engine.page_ids(
            query, filters, sort, page_size, offset, total, window_ids if windowed else None
        )
        if total
        else []
    )
    articles = Article.objects.in_bulk(ids)
    marks = engine.highlights(query, ids) if with_highlights and ids and not query.is_empty else {}
    # Cards and matches only for what the query asks for, not what it excludes ("-Equifax").
    excluded = {" ".join(t.words) for t in query.must_not}
    named = [
        e
        for e in entities_named(text)
        if not {" ".join(words(e.name)), " ".join(words(e.acronym))} & excluded
    ]
    named_ids = {e.id for e in named}
    by_article: dict[int, list[Entity]] = {}
    if ids:
        for m in (
            Mention.objects.visible()
            .filter(article_id__in=ids)
            .select_related("entity")
            .order_by("-count", "entity__name")
        ):
            by_article.setdefault(m.article_id, []).append(m.entity)
    hits = []
    for i in ids:
        article = articles[i]
        title, snippet = marks.get(i, (None, None))
        ents = by_article.get(i, [])
        hits.append(
            Hit(
                article=article,
                title_html=mark(title) if title is not None else mark(article.title),
                snippet_html=mark(snippet) if snippet is not None else mark(_lead(article.body)),
                entities=ents,
                matched_entities=[e for e in ents if e.id in named_ids],
            )
        )
    facets: dict[str, list[FacetValue]] = {k.value: [] for k in EntityKind}
    publications: list[FacetValue] = []
    if with_facets:
        counts, pubs = engine.facet_counts(window_ids)
        selected = {i for ids_ in filters.entity_ids.values() for i in ids_}
        ents = Entity.objects.in_bulk(list(counts))
        # Ties broken by label (then id), so the cut and the order never depend on the database.
        top = sorted(ents.values(), key=lambda e: (-counts[e.id], e.short_name.lower(), e.id))
        for e in top:
            bucket = facets[e.kind]
            if len(bucket) < FACET_LIMIT or e.id in selected:
                bucket.append(FacetValue(e, e.short_name, e.slug, counts[e.id], e.id in selected))
        for bucket in facets.values():  # a selected value past the cut keeps its place
            bucket.sort(key=lambda f: (-f.count, f.label.lower(), f.entity.id))
        publications = [
            FacetValue(None, p, p, n, p == filters.publication)
            for p, n in sorted(pubs.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
    results = Results(
        query, hits, total, page, page_size, sort, facets, publications, named, window=window
    )
    if total == 0 and not query.is_empty:
        results.suggestions = engine.suggest(query)
        results.similar_entities = similar_entities(text)
    return results


def _lead(body: str, words: int = 30) -> str:
    first = body.split("\n", 1)[0].split()
    return " ".join(first[:words]) + ("…" if len(first) > words else "")
