"""SQLite engine: FTS5 (porter stemming, diacritics folded), ranked by bm25.

Every user word reaches MATCH as a quoted string ("e", "mail", "AND" are just words),
prefixes as "word" *, so no input can be FTS5 syntax. Statements start from the FTS table
(`... FROM archive_article_fts f ... WHERE archive_article_fts MATCH ?`), never a per-row
subquery.
"""

import json

from ..names.text import MARK_END, MARK_START
from .engine import Engine, Source
from .query import Query, Term

# Above this many matches, a date-sorted page walks the date index and tests membership,
# instead of sorting every match.
SMALL_MATCH_SET = 5000
# Column weights for bm25: title, entity names, body.
WEIGHTS = (10.0, 4.0, 1.0)
RANK = f"bm25(archive_article_fts, {', '.join(map(str, WEIGHTS))})"  # lower is better


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

    def source(self, query, articles):
        # FTS5 yields rowids from its own index (newest first when ordered by rowid DESC);
        # the article row is joined only when filters or ranking read it.
        join = " JOIN archive_article a ON a.id = f.rowid" if articles else ""
        return Source(
            f"archive_article_fts f{join}",
            "archive_article_fts MATCH %s",
            [compile_match(query)],
            id="f.rowid",
        )

    def member(self, query, total):
        # With many matches, `+` keeps SQLite from driving the statement from the match
        # list (which would sort every match): it walks the date index and tests membership.
        plus = "+" if total > SMALL_MATCH_SET else ""
        matches = "SELECT rowid FROM archive_article_fts WHERE archive_article_fts MATCH %s"
        return f"{plus}a.id IN ({matches})", [compile_match(query)]

    def rank(self, query):
        return RANK, []

    def in_window(self, window_ids):
        # The window is the newest matches passing the same filters, so a rowid floor (which
        # FTS5 applies inside its index) selects exactly it.
        return "f.rowid >= %s", [min(window_ids)]

    def ids(self, column, ids):
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]

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
