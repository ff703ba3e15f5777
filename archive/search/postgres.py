"""PostgreSQL engine: a stored, generated tsvector (title A, entity names B, body D) with a
GIN index on exactly that column, ranked with ts_rank_cd; pg_trgm for "did you mean".

The tsquery is assembled from parameters with SQL functions (phraseto_tsquery per word or
phrase, to_tsquery only on a sanitised word with :*), never from raw user text.
"""

import contextlib

from django.db import connections, transaction

from ..names.text import MARK_END, MARK_START
from .engine import Engine, Source
from .query import Query, Term

CONFIG = "archive_english"
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
            [f"e0{term.words[0]}", term.words[0]],
        )
    if term.prefix:
        head, last = term.words[:-1], term.words[-1]
        # `last` is letters/digits only (names.text.words), so "last:*" is safe syntax.
        if head:
            return (
                f"(phraseto_tsquery('{CONFIG}', %s) <-> to_tsquery('{CONFIG}', %s))",
                [" ".join(head), f"{last}:*"],
            )
        return f"to_tsquery('{CONFIG}', %s)", [f"{last}:*"]
    return f"phraseto_tsquery('{CONFIG}', %s)", [" ".join(term.words)]


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
        # matches (docs/benchmarks.md). SET LOCAL holds for this search's transaction only.
        with transaction.atomic(using=self.using):
            self.fetch_none("SET LOCAL enable_seqscan = off")
            yield

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

    def highlights(self, query, ids):
        tsq, tparams = compile_tsquery(query)
        marks = ", ".join(["%s"] * len(ids))
        opts_title = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
        opts_body = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=20, "
            'MaxFragments=1, FragmentDelimiter=" … "'
        )
        sql = (
            f"SELECT a.id, ts_headline('{CONFIG}', a.title, q.query, %s), "
            f"ts_headline('{CONFIG}', a.body, q.query, %s) "
            f"FROM archive_article a, (SELECT {tsq} AS query) q WHERE a.id IN ({marks})"
        )
        rows = self.fetch(sql, [opts_title, opts_body, *tparams, *ids])
        return {r[0]: (r[1], r[2]) for r in rows}

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
