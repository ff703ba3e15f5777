"""The search queries use the full-text index, not a scan with a per-row subquery."""

import pytest
from django.db import connection

from archive.models import Entity
from archive.search import Filters, get_engine
from archive.search.service import parse_query

pytestmark = pytest.mark.django_db

QUERIES = ["Wickr", "ICE surveil* -Equifax", '"utility header data" OR CLEAR', "detainees"]

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite plan")
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL plan")


def filters(with_entities: bool) -> Filters:
    if not with_entities:
        return Filters()
    ids = list(Entity.objects.filter(slug__in=["ice", "hsi"]).values_list("id", flat=True))
    return Filters(entity_ids={"agency": ids})


def ranked(text: str, with_entities: bool) -> tuple[str, list]:
    return get_engine().ranked_page_sql(parse_query(text), filters(with_entities), 20, 0)


def index_only(text: str) -> tuple[str, list]:
    """The match alone (as counts without filters and "did you mean" checks read it)."""
    return get_engine().exists_sql(parse_query(text))


def plan(sql: str, params: list, prefix: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(prefix + sql, params)
        return [row[-1] for row in cur.fetchall()]


@sqlite_only
@pytest.mark.parametrize("with_entities", [False, True])
@pytest.mark.parametrize("text", QUERIES)
def test_sqlite_ranked_query_starts_from_the_fts_table(seeded, text, with_entities):
    steps = plan(*ranked(text, with_entities), "EXPLAIN QUERY PLAN ")
    assert "VIRTUAL TABLE INDEX" in steps[0], steps
    assert steps[0].startswith("SCAN f "), steps
    # The only per-row subquery allowed is the entity filter's index probe (EXISTS on the
    # (article, entity) unique index), never a second MATCH per row.
    for i, step in enumerate(steps):
        if "CORRELATED" in step:
            assert steps[i + 1].startswith("SEARCH fm USING INDEX"), steps
    assert sum("VIRTUAL TABLE" in s for s in steps) == 1, steps
    # The article is looked up by id (its primary key, or the covering index that holds what
    # ranking reads), never scanned.
    assert any(
        "USING INTEGER PRIMARY KEY" in s or "archive_article_facts (id=?)" in s for s in steps
    ), steps
    assert not any(
        s.startswith("SCAN a") or s.startswith("SCAN archive_article ") for s in steps
    ), steps


@sqlite_only
@pytest.mark.parametrize("text", QUERIES)
def test_sqlite_match_query_uses_the_fts_index(seeded, text):
    steps = plan(*index_only(text), "EXPLAIN QUERY PLAN ")
    assert len(steps) == 1 and "VIRTUAL TABLE INDEX" in steps[0], steps


@postgres_only
@pytest.mark.parametrize("text", QUERIES)
def test_postgres_match_query_uses_the_gin_index(seeded, text):
    sql, params = index_only(text)
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            steps = plan(sql, params, "EXPLAIN ")
        finally:
            cur.execute("RESET enable_seqscan")
    text_plan = "\n".join(steps)
    assert "Bitmap Index Scan on archive_article_search_vector" in text_plan, text_plan
    assert "SubPlan" not in text_plan, text_plan


@postgres_only
@pytest.mark.parametrize("text", QUERIES)
def test_postgres_ranked_query_uses_the_gin_index(seeded, text):
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            steps = plan(*ranked(text, False), "EXPLAIN ")
        finally:
            cur.execute("RESET enable_seqscan")
    text_plan = "\n".join(steps)
    assert "Bitmap Index Scan on archive_article_search_vector" in text_plan, text_plan
    assert "SubPlan" not in text_plan, text_plan


def statement(name: str, text: str, with_entities: bool) -> tuple[str, list]:
    """Each statement the shared engine code builds, as search() would for a small match set."""
    engine, query, f = get_engine(), parse_query(text), filters(with_entities)
    return {
        "count": lambda: engine.count_sql(query, f),
        "window": lambda: engine.window_sql(query, f, 2000, 10),
        "ranked": lambda: engine.ranked_page_sql(query, f, 20, 0),
        "ranked in window": lambda: engine.ranked_page_sql(query, f, 20, 0, [1, 2, 3]),
    }[name]()


STATEMENTS = ["count", "window", "ranked", "ranked in window"]


# With an entity filter on ten articles, either index is a fine start; the planner's choice
# at scale is measured by the benchmark. Without one, the match must drive.
@sqlite_only
@pytest.mark.parametrize("name", STATEMENTS)
@pytest.mark.parametrize("text", QUERIES)
def test_sqlite_statements_start_from_the_fts_table(seeded, text, name):
    steps = plan(*statement(name, text, False), "EXPLAIN QUERY PLAN ")
    assert steps[0].startswith("SCAN f VIRTUAL TABLE INDEX"), steps
    assert sum("VIRTUAL TABLE" in s for s in steps) == 1, steps


@postgres_only
@pytest.mark.parametrize("name", ["count", "window", "ranked"])
@pytest.mark.parametrize("text", QUERIES)
def test_postgres_statements_use_the_gin_index(seeded, text, name):
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            steps = plan(*statement(name, text, False), "EXPLAIN ")
        finally:
            cur.execute("RESET enable_seqscan")
    text_plan = "\n".join(steps)
    assert "Bitmap Index Scan on archive_article_search_vector" in text_plan, text_plan
    assert "SubPlan" not in text_plan, text_plan


# A migration that rebuilds archive_article on SQLite (unique=True on a new column, for
# one) silently drops these, and the index stops following edits.
TRIGGERS = [
    f"archive_article_{index}_{event}" for index in ("fts", "words") for event in "ai ad au".split()
]


@sqlite_only
@pytest.mark.parametrize("name", TRIGGERS)
def test_sqlite_index_triggers_survive_every_migration(seeded, name):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name]
        )
        assert cur.fetchall() == [("archive_article",)]


# A phrase query on PostgreSQL lists its matches once for its count and its window (each
# match's positions are unpacked once, not twice); past the cap each is asked apart. Either
# way the answers are the ones the generic statements give.
PHRASES = [
    ('"utility header data"', False, None),
    ('"Thomson Reuters"', True, None),
    ('"Thomson Reuters" ICE', False, None),
    ('"Thomson Reuters"', False, 1),  # past the cap: the generic statements
]


@postgres_only
@pytest.mark.parametrize("text, with_entities, cap", PHRASES)
def test_a_phrase_is_listed_once_for_count_and_window(
    seeded, monkeypatch, text, with_entities, cap
):
    from archive.search import postgres
    from archive.search.engine import Engine

    if cap is not None:
        monkeypatch.setattr(postgres, "PHRASE_IDS", cap)
    engine, query, chosen = get_engine(), parse_query(text), filters(with_entities)
    with engine.session():
        total = engine.count(query, chosen)
        window = engine.window_ids(query, chosen, 3, total)
        listed = engine._listed is not None
        assert total == Engine.count(engine, query, chosen) > 0
        assert window == Engine.window_ids(engine, query, chosen, 3, total)
    assert listed == (cap is None)
