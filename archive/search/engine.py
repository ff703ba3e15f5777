"""The engine contract, and the SQL every engine shares.

An engine supplies only what differs between databases, as SQL fragments over the article
table `a`:

    source(query, articles)   FROM and WHERE that find the matches, driven by the index
    member(query, total)      "a matches", for statements driven by another index (dates)
    rank(query)               the ORDER BY term that puts the most relevant match first
    in_window(ids)            restrict a ranked source to the window of newest matches
    window_order(total, ...)  the key to walk the newest matches by
    rank_value(query)         the rank as a value (expression, params, higher is better?)
    ids(column, ids)          `column` is one of a list of ids, as one parameter
    title_candidates_sql(...) matches whose title answers the query, from a title index
    verify_title_candidates   what a title cannot tell (acronyms, exclusions), when needed
    among(ids)                `a` is one of these ids, as a ranked statement's restriction
    mark(query, excerpts)     bounded excerpts' title and snippet with the matches marked
    locate_sql(column)        where a substring first occurs in a text column (1-based)
    session()                 one search's context: its time limit (SearchTimeout)

Engine (this class) builds every statement from them: count, the window of newest
matches, a ranked page, a date-sorted page, existence, facet counts.
"""

import contextlib
from dataclasses import dataclass

from django.db import connections, router

from ..models import Article, Mention
from ..names.text import MARK_START
from .highlight import ENTITY_CHARS, EXCERPT_CHARS, LEAD_IN, Excerpt, probe
from .query import AnyOf, Query, Term
from .results import Filters


@dataclass(frozen=True)
class Source:
    """Where matches come from: `FROM {tables} WHERE {where}`; `id` names their article id."""

    tables: str
    where: str
    params: list
    id: str = "a.id"


class Engine:
    vendor = ""

    def __init__(self, using: str | None = None):
        # The database alias every statement runs on: where the router sends reads (a
        # replica, in a web request, when DATABASE_REPLICA_URLS names some), or `using`.
        self.using = using or router.db_for_read(Article)

    # -- what each engine supplies ------------------------------------------------------
    def source(self, query: Query, articles: bool) -> Source:
        """The matches of `query`; with `articles`, joined to `archive_article a` (for
        filters, ranking and sorting); without, the index alone may answer."""
        raise NotImplementedError

    def member(self, query: Query, total: int) -> tuple[str, list]:
        """A condition that article `a` matches, when another index drives the statement."""
        raise NotImplementedError

    def rank(self, query: Query) -> tuple[str, list]:
        """An ORDER BY term (expression and direction), most relevant first."""
        raise NotImplementedError

    def in_window(self, window_ids: list[int]) -> tuple[str, list]:
        raise NotImplementedError

    def window_order(self, source: Source, total: int, window: int) -> str:
        return source.id

    def ids(self, column: str, ids: list[int]) -> tuple[str, list]:
        raise NotImplementedError

    def rank_value(self, query: Query) -> tuple[str, list, bool]:
        """The rank as a selectable value: (expression, params, True when higher is better).
        A row's rank depends only on the row and the query, so values from two statements
        of the same query compare."""
        raise NotImplementedError

    def title_candidates_sql(
        self, query: Query, filters: Filters, below: int, limit: int
    ) -> tuple[str, list]:
        """The ids of the `limit` newest matches with id < `below` whose title answers every
        required clause of the query, newest first, found from an index of titles."""
        raise NotImplementedError

    def mark(self, query: Query, excerpts: list[Excerpt]) -> dict[int, tuple[str, str]]:
        raise NotImplementedError

    def locate_sql(self, column: str) -> str:
        """SQL for the 1-based position of a substring (one parameter) in lower(column)."""
        raise NotImplementedError

    def first_span_sql(self, column: str) -> str:
        """SQL for where a mention's first span starts (its spans, a JSON list of [start,
        end] in text order), NULL for none: read in the database, not decoded row by row."""
        raise NotImplementedError

    def closest_word(self, word: str) -> str | None:
        """The archive's closest word to an unknown `word` (None when known or nothing close)."""
        return None

    def after_import(self) -> None:
        """Refresh anything the database does not keep in step by itself."""

    def session(self):
        """A context for one search's statements, which stops them after
        settings.SEARCH_TIMEOUT_MS with SearchTimeout (each engine its own way)."""
        return contextlib.nullcontext()

    # -- shared statements --------------------------------------------------------------
    def fetch(self, sql: str, params: list) -> list[tuple]:
        with connections[self.using].cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def browse_clause(self, query: Query) -> tuple[str, list]:
        """For a query with nothing required: " AND a.id NOT IN (what any exclusion
        matches)", or "". ("-equifax" alone browses everything but what it names.)"""
        if not query.must_not:
            return "", []
        src = self.source(Query(must=[AnyOf(tuple(query.must_not))]), articles=False)
        return f" AND a.id NOT IN (SELECT {src.id} FROM {src.tables} WHERE {src.where})", [
            *src.params
        ]

    def count_sql(self, query: Query, filters: Filters) -> tuple[str, list]:
        if query.must:
            src = self.source(query, articles=filters.active)
            where, params = filters.sql("a")
            sql = f"SELECT COUNT(*) FROM {src.tables} WHERE {src.where} AND {where}"
            return sql, [*src.params, *params]
        chosen = [ids for ids in filters.entity_ids.values() if ids]
        if not query.must_not and len(chosen) == 1 and filters == Filters(filters.entity_ids):
            # The articles that name any of one kind's chosen entities, from the mention index
            # alone (one row per article and entity): no article row is read (ICE's 46,000
            # at 100,000 articles: 44 -> 20 ms on PostgreSQL, 25 -> 11 ms on SQLite).
            marks = ", ".join(["%s"] * len(chosen[0]))
            counted = "*" if len(chosen[0]) == 1 else "DISTINCT article_id"
            return (
                f"SELECT COUNT({counted}) FROM archive_mention WHERE "
                f"{Mention.visible_sql()} AND entity_id IN ({marks})",
                list(chosen[0]),
            )
        where, params = filters.sql("a", drive=True)
        browse, bparams = self.browse_clause(query)
        return f"SELECT COUNT(*) FROM archive_article a WHERE {where}{browse}", [
            *params,
            *bparams,
        ]

    def window_sql(
        self, query: Query, filters: Filters, window: int, total: int
    ) -> tuple[str, list]:
        """The ids of the `window` newest matches passing the filters, newest first: a walk
        of an index in id order that stops early."""
        if query.must:
            src = self.source(query, articles=filters.active)
            where, params = filters.sql("a")
            order = self.window_order(src, total, window)
            sql = (
                f"SELECT {src.id} FROM {src.tables} WHERE {src.where} AND {where} "
                f"ORDER BY {order} DESC LIMIT %s"
            )
            return sql, [*src.params, *params, window]
        where, params = filters.sql("a", drive=True)
        browse, bparams = self.browse_clause(query)
        sql = (
            f"SELECT a.id FROM archive_article a WHERE {where}{browse} ORDER BY a.id DESC LIMIT %s"
        )
        return sql, [*params, *bparams, window]

    def ranked_page_sql(
        self,
        query: Query,
        filters: Filters,
        limit: int,
        offset: int,
        window_ids: list[int] | None = None,
    ) -> tuple[str, list]:
        """A page of ids by relevance, ties broken by date then id; among `window_ids`
        only, when given (more matches than the window)."""
        src = self.source(query, articles=True)
        rank, rparams = self.rank(query)
        where, params = filters.sql("a")
        within, wparams = self.in_window(window_ids) if window_ids else ("1=1", [])
        sql = (
            f"SELECT a.id FROM {src.tables} WHERE {src.where} AND {within} AND {where} "
            f"ORDER BY {rank}, a.published DESC NULLS LAST, a.id DESC LIMIT %s OFFSET %s"
        )
        return sql, [*src.params, *wparams, *params, *rparams, limit, offset]

    def sorted_page_sql(
        self, query: Query, filters: Filters, sort: str, limit: int, offset: int, total: int
    ) -> tuple[str, list]:
        """A page of ids by date (undated last either way), ties broken by id."""
        where, params = filters.sql("a", drive=not query.must)
        if query.must:
            match, mparams = self.member(query, total)
            match = f" AND {match}"
        else:
            match, mparams = self.browse_clause(query)
        direction = "ASC" if sort == "oldest" else "DESC"
        sql = (
            f"SELECT a.id FROM archive_article a WHERE {where}{match} "
            f"ORDER BY a.published {direction} NULLS LAST, a.id {direction} LIMIT %s OFFSET %s"
        )
        return sql, [*params, *mparams, limit, offset]

    def exists_sql(self, query: Query) -> tuple[str, list]:
        src = self.source(query, articles=False)
        return f"SELECT 1 FROM {src.tables} WHERE {src.where} LIMIT 1", src.params

    # -- running them -------------------------------------------------------------------
    def count(self, query: Query, filters: Filters) -> int:
        return self.fetch(*self.count_sql(query, filters))[0][0]

    def window_ids(self, query: Query, filters: Filters, window: int, total: int) -> list[int]:
        return [r[0] for r in self.fetch(*self.window_sql(query, filters, window, total))]

    def page_ids(
        self,
        query: Query,
        filters: Filters,
        sort: str,
        limit: int,
        offset: int,
        total: int,
        window_ids: list[int] | None = None,
        title_ids: list[int] | None = None,
    ) -> list[int]:
        if window_ids and title_ids and sort == "relevance" and not query.is_empty:
            return self.ranked_page_with_titles(
                query, filters, limit, offset, window_ids, title_ids
            )
        if query.is_empty or sort != "relevance":
            sql, params = self.sorted_page_sql(query, filters, sort, limit, offset, total)
        else:
            sql, params = self.ranked_page_sql(query, filters, limit, offset, window_ids)
        return [r[0] for r in self.fetch(sql, params)]

    def ranked_rows_sql(
        self, query: Query, filters: Filters, within: tuple[str, list], limit: int
    ) -> tuple[str, list]:
        """The `limit` best (id, rank, published) among the matches `within` selects, in
        the order of ranked_page_sql."""
        src = self.source(query, articles=True)
        expr, rparams, higher = self.rank_value(query)
        where, params = filters.sql("a")
        sql = (
            f"SELECT a.id, {expr}, a.published FROM {src.tables} "
            f"WHERE {src.where} AND {within[0]} AND {where} "
            f"ORDER BY 2 {'DESC' if higher else 'ASC'}, a.published DESC NULLS LAST, a.id DESC "
            "LIMIT %s"
        )
        return sql, [*rparams, *src.params, *within[1], *params, limit]

    def ranked_page_with_titles(
        self,
        query: Query,
        filters: Filters,
        limit: int,
        offset: int,
        window_ids: list[int],
        title_ids: list[int],
    ) -> list[int]:
        """A page by relevance over the window plus older title matches: the best
        offset+limit of each set (two statements of the same rank), merged."""
        n = offset + limit
        rows = self.fetch(*self.ranked_rows_sql(query, filters, self.in_window(window_ids), n))
        rows += self.fetch(*self.ranked_rows_sql(query, filters, self.among(title_ids), n))
        _, _, higher = self.rank_value(query)
        # Stable sorts, least significant key first: id, then date (undated last), then rank.
        rows.sort(key=lambda r: r[0], reverse=True)
        rows.sort(key=lambda r: (r[2] is not None, str(r[2] or "")), reverse=True)
        rows.sort(key=lambda r: r[1], reverse=higher)
        return [r[0] for r in rows[offset:n]]

    def among(self, ids: list[int]) -> tuple[str, list]:
        """`a` is one of these ids, in a ranked statement (an engine may add what lets its
        index skip the rest)."""
        return self.ids("a.id", ids)

    def title_candidates(
        self, query: Query, filters: Filters, below: int, limit: int, common: int | None = None
    ) -> list[int]:
        """The title tier (service.title_matches): up to `limit` older title matches, newest
        first; when `limit` of them are found (the words are common in titles), only the
        newest `common`. The statement reads the title index only; what it cannot tell from
        a title is checked afterwards on the ids kept (verify_title_candidates)."""
        if not query.positive_terms() or limit <= 0:
            return []
        ids = [r[0] for r in self.fetch(*self.title_candidates_sql(query, filters, below, limit))]
        if common is not None and len(ids) >= limit:
            ids = ids[: max(0, common)]
        return self.verify_title_candidates(query, ids) if ids else []

    def verify_title_candidates(self, query: Query, ids: list[int]) -> list[int]:
        """The ids (newest first) that match the whole query: an engine whose title
        statement did not check it already."""
        return ids

    def highlights(self, query: Query, ids: list[int]) -> dict[int, tuple[str, str]]:
        """Title and snippet with the matches marked, from bounded excerpts (highlight.py):
        the marker never sees more than EXCERPT_CHARS of a body."""
        clause, params = self.ids("a.id", ids)
        rows = self.fetch(
            f"SELECT a.id, a.title, substr(a.entity_text, 1, {ENTITY_CHARS}), "
            f"substr(a.body, 1, {EXCERPT_CHARS}), length(a.body) > {EXCERPT_CHARS} "
            f"FROM archive_article a WHERE {clause}",
            params,
        )
        excerpts = {r[0]: Excerpt(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows}
        marks = self.mark(query, list(excerpts.values())) if excerpts else {}
        # A long body whose start holds no match: mark the stretch around the first place a
        # query word occurs further on (a substring scan, no tokenizing), when there is one.
        later = [
            e
            for e in excerpts.values()
            if e.truncated and MARK_START not in marks.get(e.id, ("", ""))[1]
        ]
        words = [t.words[0] for t in query.positive_terms() if t.words]
        if later and words:
            moved = []
            for e in later:
                (pos,) = self.fetch(
                    f"SELECT {self.locate_sql('a.body')} FROM archive_article a WHERE a.id = %s",
                    [probe(words[0]), e.id],
                )[0]
                if pos and pos > EXCERPT_CHARS - LEAD_IN:
                    ((body,),) = self.fetch(
                        "SELECT substr(a.body, %s, %s) FROM archive_article a WHERE a.id = %s",
                        [pos - LEAD_IN, EXCERPT_CHARS, e.id],
                    )
                    moved.append(Excerpt(e.id, e.title, e.entity_text, body, True))
            if moved:
                again = self.mark(query, moved)
                for e in moved:
                    if e.id in again and MARK_START in again[e.id][1]:
                        marks[e.id] = (marks.get(e.id, again[e.id])[0], "…" + again[e.id][1])
        return marks

    def exists(self, query: Query) -> bool:
        return bool(self.fetch(*self.exists_sql(query)))

    def facet_counts(
        self, ids: list[int], publications: bool = True
    ) -> tuple[dict[int, int], dict[str, int]]:
        """Entity and publication counts over these article ids: one grouped query each (the
        ids already satisfy the query and the filters)."""
        if not ids:
            return {}, {}
        mclause, mparams = self.ids("m.article_id", ids)
        aclause, aparams = self.ids("a.id", ids)
        entities = self.fetch(
            "SELECT m.entity_id, COUNT(*) FROM archive_mention m "
            f"WHERE {Mention.visible_sql('m')} AND {mclause} GROUP BY m.entity_id",
            mparams,
        )
        if not publications:
            return dict(entities), {}
        publications = self.fetch(
            "SELECT a.publication, COUNT(*) FROM archive_article a "
            f"WHERE a.publication <> '' AND {aclause} GROUP BY a.publication",
            aparams,
        )
        return dict(entities), dict(publications)

    def articles_naming(self, ids: list[int], entity_ids: list[int]) -> list[int]:
        """Which of these article ids name any of these entities (visible mentions)."""
        if not ids or not entity_ids:
            return []
        clause, params = self.ids("m.article_id", ids)
        marks = ", ".join(["%s"] * len(entity_ids))
        return [
            r[0]
            for r in self.fetch(
                f"SELECT DISTINCT m.article_id FROM archive_mention m WHERE {clause} "
                f"AND {Mention.visible_sql('m')} AND m.entity_id IN ({marks})",
                params + list(entity_ids),
            )
        ]

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
