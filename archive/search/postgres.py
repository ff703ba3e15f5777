"""PostgreSQL engine: a stored, generated tsvector (title A, entity names B, body D) with a
GIN index on exactly that column, ranked with ts_rank_cd; pg_trgm for "did you mean".

The tsquery is assembled from parameters with SQL functions (phraseto_tsquery per word or
phrase, to_tsquery only on a sanitised word with :*), never from raw user text.

Words: the index reads each text as its runs of letters and digits (migration 0013 turns
everything else into spaces before to_tsvector), the rule of FTS5's unicode61 tokenizer and
of names.text.words, which splits the query. PostgreSQL's own parser would read "U.S" or
"and/or" as a file path and "e-mail" as a compound word, which no query word can match.
"""

import contextlib

from django.conf import settings
from django.db import OperationalError, connections, transaction

from ..names.text import MARK_END, MARK_START
from .engine import Engine, Source
from .highlight import fts5_marks
from .query import Query, Term
from .results import SearchTimeout

CONFIG = "archive_english"
# The title's words, stored and indexed (migration 0020; read as 0013 reads a title).
TITLE_VECTOR = "a.title_vector"
# FTS5's porter tokenizer leaves words under 3 letters alone; Porter would make "us" "u" and
# "is" "i". The index gives the two-letter words it would change this end (migration 0013),
# and so does the query.
SHORT_WORD_END = "\u07c0"
# Up to this many matches of a phrase query are listed once for its count and its window
# (PostgresEngine.count); past it (a phrase in a fifth of a big archive) each is asked apart.
PHRASE_IDS = 20000


def pg_word(word: str) -> str:
    """A query word as the index holds it (see SHORT_WORD_END)."""
    return word + SHORT_WORD_END if len(word) == 2 and word[1] in "sy" else word


def _words(words) -> str:
    return " ".join(pg_word(w) for w in words)


# Above DENSE x window matches, the newest window is found by walking the primary key.
DENSE = 20
# ts_rank_cd weights in {D, C, B, A} order; normalisation 0 keeps title matches on top.
WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"


def _term(term: Term) -> tuple[str, list]:
    if term.acronym:
        # Named by a linked entity (its "e0" lexemes, migration 0007) and present as a word
        # (which ranks it); `word` is letters/digits only, so "e0word" is one plain lexeme.
        return (
            f"(to_tsquery('simple', %s) && phraseto_tsquery('{CONFIG}', %s))",
            [f"e0{term.words[0]}", pg_word(term.words[0])],
        )
    if term.prefix:
        head, last = term.words[:-1], term.words[-1]
        # `last` is letters/digits only (names.text.words), so "last:*" is safe syntax; as a
        # prefix it keeps no end ("us*" finds "us" and "usa").
        if head:
            return (
                f"(phraseto_tsquery('{CONFIG}', %s) <-> to_tsquery('{CONFIG}', %s))",
                [_words(head), f"{last}:*"],
            )
        return f"to_tsquery('{CONFIG}', %s)", [f"{last}:*"]
    return f"phraseto_tsquery('{CONFIG}', %s)", [_words(term.words)]


def compile_marks(query: Query) -> tuple[str, list]:
    """Any positive term (an acronym as its word): what a headline marks."""
    alts, params = [], []
    for t in query.positive_terms():
        sql, p = _term(Term(t.words, t.prefix))
        alts.append(sql)
        params += p
    return "(" + " || ".join(alts) + ")", params


def compile_title(query: Query) -> tuple[str, list]:
    """Every required clause (any of its alternatives) as plain words: a title that answers
    the whole query, for the title tier of relevance (service.title_matches)."""
    parts, params = [], []
    for clause in query.must:
        alts = []
        for t in clause.terms:
            sql, p = _term(Term(t.words, t.prefix))
            alts.append(sql)
            params += p
        parts.append("(" + " || ".join(alts) + ")")
    return "(" + " && ".join(parts) + ")", params


def compile_tsquery(query: Query) -> tuple[str, list]:
    parts, params = [], []
    for clause in query.must:
        alts = []
        for t in clause.terms:
            sql, p = _term(t)
            alts.append(sql)
            params += p
        parts.append(alts[0] if len(alts) == 1 else "(" + " || ".join(alts) + ")")
    for t in query.must_not:
        sql, p = _term(t)
        parts.append(f"!!({sql})")
        params += p
    return "(" + " && ".join(parts) + ")", params


class PostgresEngine(Engine):
    vendor = "postgresql"

    @contextlib.contextmanager
    def session(self):
        # The planner underestimates what a sequential scan costs here: it evaluates @@ on
        # every row, unpacking each out-of-line tsvector, where the GIN index reads only the
        # matches (docs/benchmarks.md). SET LOCAL holds for this search's transaction only;
        # so does the statement timeout, restored on the way out for a caller's transaction
        # (a test's) that goes on. A statement past it is cancelled: SearchTimeout, once
        # atomic() has rolled the search's transaction back.
        limit_ms = settings.SEARCH_TIMEOUT_MS
        try:
            with transaction.atomic(using=self.using):
                self.fetch_none("SET LOCAL enable_seqscan = off")
                if limit_ms > 0:
                    (before,) = self.fetch(
                        "SELECT current_setting('statement_timeout'), "
                        "set_config('statement_timeout', %s, true)",
                        [f"{limit_ms}ms"],
                    )[0][:1]
                yield
                if limit_ms > 0:
                    self.fetch("SELECT set_config('statement_timeout', %s, true)", [before])
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == "57014":  # query_canceled
                raise SearchTimeout(f"the search ran past {limit_ms} ms") from exc
            raise

    def count(self, query, filters):
        # A phrase is checked against each candidate's positions, unpacking its tsvector:
        # the count and the newest window would each do that for every match ("facial
        # recognition" at 100,000 articles: 161 + 143 ms). Up to PHRASE_IDS matches, one
        # statement lists them all and both come from it (window_ids).
        self._listed = None
        if query.must and any(len(t.words) > 1 for t in query.positive_terms()):
            src = self.source(query, articles=filters.active)
            where, params = filters.sql("a")
            rows = self.fetch(
                f"SELECT {src.id} FROM {src.tables} WHERE {src.where} AND {where} LIMIT %s",
                [*src.params, *params, PHRASE_IDS + 1],
            )
            if len(rows) <= PHRASE_IDS:
                self._listed = (query, filters, sorted((r[0] for r in rows), reverse=True))
                return len(rows)
        return super().count(query, filters)

    def window_ids(self, query, filters, window, total):
        listed = getattr(self, "_listed", None)
        if listed is not None and listed[0] == query and listed[1] == filters:
            return listed[2][:window]
        return super().window_ids(query, filters, window, total)

    def source(self, query, articles):
        # The match directly in WHERE (not "id IN (subquery)"), so filters join the bitmap.
        tsq, params = compile_tsquery(query)
        return Source("archive_article a", f"a.search_vector @@ {tsq}", params)

    def member(self, query, total):
        tsq, params = compile_tsquery(query)
        return f"a.search_vector @@ {tsq}", params

    def rank(self, query):
        tsq, params = compile_tsquery(query)
        return f"ts_rank_cd('{WEIGHTS}', a.search_vector, {tsq}) DESC", params

    def rank_value(self, query):
        tsq, params = compile_tsquery(query)
        return f"ts_rank_cd('{WEIGHTS}', a.search_vector, {tsq})", params, True

    def title_candidates_sql(self, query, filters, below, limit):
        # The stored title vector (small: a title's words), newest first: no big tsvector
        # is read here. A title that holds every required clause matches the whole query
        # unless it needs more than words (verify_title_candidates). The planner lists the
        # matches from the GIN index or walks the ids newest first reading each row's title
        # vector, as the word's frequency says: with only an expression index, walking
        # computed every title's words (12 µs a row) and listing read ICE's 30,000 title
        # matches to keep 2,000 (93 ms at 100,000 articles; now 7-11 ms).
        words, wparams = compile_title(query)
        where, fparams = filters.sql("a")
        sql = (
            "SELECT a.id FROM archive_article a "
            f"WHERE {TITLE_VECTOR} @@ {words} AND a.id < %s AND {where} "
            "ORDER BY a.id DESC LIMIT %s"
        )
        return sql, [*wparams, below, *fparams, limit]

    def verify_title_candidates(self, query, ids):
        # An acronym must also be a linked entity (its e0 lexeme) and an exclusion must be
        # absent: only the big tsvector knows, so only the ids kept are checked
        # (ts_match_vq: the planner cannot answer it from the big GIN index row by row).
        if not (query.must_not or any(t.acronym for t in query.positive_terms())):
            return ids
        tsq, params = compile_tsquery(query)
        rows = self.fetch(
            "SELECT a.id FROM archive_article a WHERE a.id = ANY(%s) "
            f"AND ts_match_vq(a.search_vector, {tsq}) ORDER BY a.id DESC",
            [list(ids), *params],
        )
        return [r[0] for r in rows]

    def in_window(self, window_ids):
        # Rank only the window: ts_rank_cd unpacks each row's tsvector.
        return "a.id = ANY(%s)", [list(window_ids)]

    def window_order(self, source, total, window):
        # Dense matches: walk the primary key backwards, testing @@ row by row; the window
        # fills after a few thousand rows. Sparse matches: that walk would unpack most
        # tsvectors in the table, so order by "a.id + 0" instead, which lets the GIN bitmap
        # find them and a top-N sort keep the newest.
        return "a.id" if total > DENSE * window else "a.id + 0"

    def ids(self, column, ids):
        return f"{column} = ANY(%s)", [list(ids)]

    def mark(self, query, excerpts):
        # The same marker as SQLite's (highlight.fts5_marks: an in-memory FTS5 table with
        # the same Porter stemmer, over the bounded excerpts only): ts_headline marks every
        # word of a phrase wherever it occurs ("and", the "Customs" of another agency's
        # name), and the engines should mark the same words.
        from .sqlite import compile_marks as fts5_expression

        return fts5_marks(fts5_expression(query), excerpts, MARK_START, MARK_END)

    def locate_sql(self, column):
        return f"strpos(lower({column}), %s)"

    def first_span_sql(self, column):
        return f"({column} -> 0 ->> 0)::bigint"

    def after_import(self):
        # The spelling vocabulary is a materialized view; the tsvector needs nothing.
        self.fetch_none("REFRESH MATERIALIZED VIEW archive_search_words")

    def fetch_none(self, sql):
        with connections[self.using].cursor() as cur:
            cur.execute(sql)

    def closest_word(self, word):
        if self.fetch("SELECT 1 FROM archive_search_words WHERE word = %s", [word]):
            return None
        rows = self.fetch(
            "SELECT word FROM archive_search_words WHERE word %% %s AND word <> %s "
            "ORDER BY similarity(word, %s) DESC, ndoc DESC, word LIMIT 1",
            [word, word, word],
        )
        return rows[0][0] if rows else None
