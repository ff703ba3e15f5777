"""SQLite engine: FTS5 (porter stemming, diacritics folded), ranked by bm25.

Every user word reaches MATCH as a quoted string ("e", "mail", "AND" are just words),
prefixes as "word" *, so no input can be FTS5 syntax. Queries start from the FTS table:
    ... WHERE archive_article_fts MATCH ? ORDER BY bm25(...) LIMIT ?
never a per-row subquery.
"""

from .base import MARK_END, MARK_START, Engine
from .query import Query, Term

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

    def ranked_page_sql(self, query, where, params, limit, offset):
        sql = (
            f"SELECT a.id FROM archive_article_fts f JOIN archive_article a ON a.id = f.rowid "
            f"WHERE archive_article_fts MATCH %s AND {where} "
            f"ORDER BY {RANK}, a.published DESC NULLS LAST, a.id DESC LIMIT %s OFFSET %s"
        )
        return sql, [compile_match(query), *params, limit, offset]

    def highlights(self, query, ids):
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT rowid, highlight(archive_article_fts, 0, %s, %s), "
            f"snippet(archive_article_fts, 2, %s, %s, '…', 30) "
            f"FROM archive_article_fts WHERE archive_article_fts MATCH %s AND rowid IN ({marks})"
        )
        params = [MARK_START, MARK_END, MARK_START, MARK_END, compile_match(query), *ids]
        return {row[0]: (row[1], row[2]) for row in self.fetch(sql, params)}

    def closest_word(self, word):
        """From the archive's own (unstemmed) words: the FTS5 vocabulary holds porter stems
        ("detaine", "messag"), which are neither known words nor good suggestions."""
        from .spelling import closest, vocabulary

        vocab = vocabulary()
        return None if word in vocab else closest(word, vocab)
