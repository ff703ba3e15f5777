"""SQLite engine: FTS5 (porter stemming, diacritics folded), ranked by bm25.

Every user word reaches MATCH as a quoted string ("e", "mail", "AND" are just words),
prefixes as "word" *, so no input can be FTS5 syntax. Statements start from the FTS table
(`... FROM archive_article_fts f ... WHERE archive_article_fts MATCH ?`), never a per-row
subquery.
"""

import contextlib
import json
import time

from django.conf import settings
from django.db import OperationalError, connections

from ..names.text import MARK_END, MARK_START
from .engine import Engine, Source
from .highlight import fts5_marks
from .query import Query, Term
from .results import SearchTimeout

# Above this many matches, a date-sorted page walks the date index and tests membership,
# instead of sorting every match.
SMALL_MATCH_SET = 5000
# Column weights for bm25: title, entity names, body.
WEIGHTS = (10.0, 4.0, 1.0)
RANK = f"bm25(archive_article_fts, {', '.join(map(str, WEIGHTS))})"  # lower is better
# The progress handler looks at the clock every this many virtual machine instructions.
PROGRESS_STEPS = 1000


def _term(term: Term) -> str:
    text = '"' + " ".join(term.words) + '"'
    if term.acronym:
        # Must be among the linked entities' names; the plain word adds title/body to bm25.
        return f"({text} AND {{entity_text}} : {text})"
    return text + " *" if term.prefix else text


def _word(term: Term) -> str:
    """The term as plain words (an acronym as its word): what a title holds or a mark shows."""
    text = '"' + " ".join(term.words) + '"'
    return text + " *" if term.prefix else text


def compile_marks(query: Query) -> str:
    """Any positive term: what highlight() and snippet() mark in an excerpt, which need not
    hold every word the whole article matched on."""
    return " OR ".join(_word(t) for t in query.positive_terms())


def compile_title(query: Query) -> str:
    """Every required clause (any of its alternatives) as plain words: a title that answers
    the whole query, for the title tier of relevance (service.title_matches)."""
    return " AND ".join("(" + " OR ".join(_word(t) for t in c.terms) + ")" for c in query.must)


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

    @contextlib.contextmanager
    def session(self):
        # A deadline for the whole search, checked by SQLite itself every PROGRESS_STEPS
        # instructions: a statement past it stops with "interrupted" (a read rolls nothing
        # back), which becomes SearchTimeout. The handler is removed afterwards, so other
        # work on this connection is never limited.
        limit_ms = settings.SEARCH_TIMEOUT_MS
        if limit_ms <= 0:
            yield
            return
        conn = connections[self.using]
        conn.ensure_connection()
        raw = conn.connection
        deadline = time.monotonic() + limit_ms / 1000

        def past_deadline():
            return time.monotonic() > deadline

        raw.set_progress_handler(past_deadline, PROGRESS_STEPS)
        try:
            yield
        except OperationalError as exc:
            if "interrupt" in str(exc):
                raise SearchTimeout(f"the search ran past {limit_ms} ms") from exc
            raise
        finally:
            raw.set_progress_handler(None, 0)

    def rank(self, query):
        return RANK, []

    def rank_value(self, query):
        return RANK, [], False

    def title_candidates_sql(self, query, filters, below, limit):
        # The FTS5 column filter reads the same index: matches whose title column answers
        # every required clause, walked newest first and stopped at `limit`.
        titled = f"({compile_match(query)}) AND {{title}} : ({compile_title(query)})"
        join = " JOIN archive_article a ON a.id = f.rowid" if filters.active else ""
        where, params = filters.sql("a")
        sql = (
            f"SELECT f.rowid FROM archive_article_fts f{join} "
            f"WHERE archive_article_fts MATCH %s AND f.rowid < %s AND {where} "
            "ORDER BY f.rowid DESC LIMIT %s"
        )
        return sql, [titled, below, *params, limit]

    def in_window(self, window_ids):
        # The window is the newest matches passing the same filters, so a rowid floor (which
        # FTS5 applies inside its index) selects exactly it.
        return "f.rowid >= %s", [min(window_ids)]

    def among(self, ids):
        # The rowid range lets FTS5 score only the matches between the ids (it applies rowid
        # bounds inside its index); the list then picks them. Without the range it scored
        # every match of a common word (ICE at 100,000 articles: 125 ms). The list is read
        # on the FTS row ("+" keeps SQLite from handing it to FTS5, which would look each id
        # up with a cursor of its own: seconds), before the article row is joined: on the
        # article's id, every match in the range was joined first ("surveillance"'s 1,749
        # older title matches among 70,000: 61 -> 25 ms).
        ids_sql, params = self.ids("+f.rowid", ids)
        return f"f.rowid >= %s AND f.rowid <= %s AND {ids_sql}", [min(ids), max(ids), *params]

    def ids(self, column, ids):
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]

    def mark(self, query, excerpts):
        return fts5_marks(compile_marks(query), excerpts, MARK_START, MARK_END)

    def locate_sql(self, column):
        return f"instr(lower({column}), %s)"

    def first_span_sql(self, column):
        return f"json_extract({column}, '$[0][0]')"

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
