"""SQLite engine: FTS5 (porter stemming, diacritics folded), ranked by bm25.

Every user word reaches MATCH as a quoted string ("e", "mail", "AND" are just words),
prefixes as "word" *, so no input can be FTS5 syntax. Queries start from the FTS table:
    ... WHERE archive_article_fts MATCH ? ORDER BY bm25(...) LIMIT ?
never a per-row subquery.
"""

import json

from .base import MARK_END, MARK_START, Engine
from .query import Query, Term

# Above this many matches, a date-sorted page walks the date index instead of sorting matches.
SMALL_MATCH_SET = 5000
# Column weights for bm25: title, entity names, body.
WEIGHTS = (10.0, 4.0, 1.0)
RANK = f"bm25(archive_article_fts, {', '.join(map(str, WEIGHTS))})"


def _term(term: Term) -> str:
    text = '"' + " ".join(term.words) + '"'
    if term.acronym:
        # Must be among the linked entities' names; the plain word adds title/body to bm25.
        return f"({text} AND {{entity_text}} : {text})"
    return text + " *" if term.prefix else text


def compile_match(query: Query) -> str:
    clauses = []
    for clause in query.must:
        alts = [_term(t) for t in clause.terms]
        clauses.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    expr = " AND ".join(clauses)
    for term in query.must_not:
        expr = f"({expr}) NOT {_term(term)}"
    return expr


class SqliteEngine(Engine):
    vendor = "sqlite"

    def matches_sql(self, query):
        return (
            "SELECT rowid AS id FROM archive_article_fts WHERE archive_article_fts MATCH %s",
            [compile_match(query)],
        )

    def window_sql(self, query, where, params, window, total):
        # FTS5 yields rowids newest-first from the index and stops after `window` that pass.
        join = " JOIN archive_article a ON a.id = f.rowid" if where != "1=1" else ""
        sql = (
            f"SELECT f.rowid FROM archive_article_fts f{join} "
            f"WHERE archive_article_fts MATCH %s AND {where} ORDER BY f.rowid DESC LIMIT %s"
        )
        return sql, [compile_match(query), *params, window]

    def ids_clause(self, column, ids):
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]

    def ranked_page_sql(self, query, where, params, limit, offset, window_ids):
        # The window is the newest matches passing the filters, so a rowid range (which FTS5
        # applies inside its index) plus the same filters selects exactly it.
        floor_sql, floor_params = (
            (" AND f.rowid >= %s", [min(window_ids)]) if window_ids else ("", [])
        )
        sql = (
            f"SELECT a.id FROM archive_article_fts f JOIN archive_article a ON a.id = f.rowid "
            f"WHERE archive_article_fts MATCH %s{floor_sql} AND {where} "
            f"ORDER BY {RANK}, a.published DESC NULLS LAST, a.id DESC LIMIT %s OFFSET %s"
        )
        return sql, [compile_match(query), *floor_params, *params, limit, offset]

    def sorted_page_sql(self, query, filters, sort, limit, offset, total):
        sql, params = super().sorted_page_sql(query, filters, sort, limit, offset, total)
        if query.must and total > SMALL_MATCH_SET:
            # Many matches: walk the date index and test membership (`+` keeps SQLite from
            # driving the query from the match list, which would sort every match).
            sql = sql.replace(" AND a.id IN (", " AND +a.id IN (", 1)
        return sql, params

    def highlights(self, query, ids):
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT rowid, highlight(archive_article_fts, 0, %s, %s), "
            f"snippet(archive_article_fts, 2, %s, %s, '…', 30) "
            f"FROM archive_article_fts WHERE archive_article_fts MATCH %s AND rowid IN ({marks})"
        )
        params = [MARK_START, MARK_END, MARK_START, MARK_END, compile_match(query), *ids]
        return {row[0]: (row[1], row[2]) for row in self.fetch(sql, params)}

    def count(self, query, filters):
        if not (query.must and filters.active):
            return super().count(query, filters)
        # Driven by the FTS index; the covering index answers the filters for each match.
        where, params = filters.sql("a")
        sql = (
            "SELECT COUNT(*) FROM archive_article_fts f JOIN archive_article a ON a.id = f.rowid "
            f"WHERE archive_article_fts MATCH %s AND {where}"
        )
        return self.fetch(sql, [compile_match(query), *params])[0][0]

    def closest_word(self, word):
        """From the unstemmed word index's vocabulary (migration 0006): the porter index holds
        stems ("detaine", "messag"), which are neither known words nor good suggestions."""
        from .spelling import closest

        if self.fetch("SELECT 1 FROM archive_article_words_vocab WHERE term = %s", [word]):
            return None
        # Suggestions share the first letter, so only that slice of the vocabulary is read.
        nxt = word[0] + "\U0010ffff"
        rows = self.fetch(
            "SELECT term, doc FROM archive_article_words_vocab WHERE term >= %s AND term < %s",
            [word[0], nxt],
        )
        return closest(word, dict(rows))

    def after_import(self):
        # Fresh statistics let the planner pick the covering indexes; cheap with a limit.
        self.fetch("PRAGMA analysis_limit = 1000", [])
        self.fetch("ANALYZE", [])
