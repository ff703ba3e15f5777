"""The search queries use the full-text index, not a scan with a per-row subquery."""

import pytest
from django.db import connection

from archive.models import Entity
from archive.search import Filters, get_engine, parse
from archive.search.entities import acronyms

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
    where, params = filters(with_entities).sql("a")
    return get_engine().ranked_page_sql(parse(text, acronyms()), where, params, 20, 0, None)


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
    sql, params = get_engine().matches_sql(parse(text, acronyms()))
    steps = plan(sql, params, "EXPLAIN QUERY PLAN ")
    assert len(steps) == 1 and "VIRTUAL TABLE INDEX" in steps[0], steps


@postgres_only
@pytest.mark.parametrize("text", QUERIES)
def test_postgres_match_query_uses_the_gin_index(seeded, text):
    sql, params = get_engine().matches_sql(parse(text, acronyms()))
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
