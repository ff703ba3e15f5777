"""Taking the data away: every entity, every sourced relationship and every article, in
files a spreadsheet or a script reads, and no cell a spreadsheet runs as a formula."""

import csv
import io
import json

import pytest

from archive.models import Article, Contractor, Mention, Relationship

from .spec import ARTICLES, ENTITIES, UTILITY, entity_url

HOST = "http://testserver"


def rows_of(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))


def test_the_entity_list_holds_every_entity_with_its_facts(client, seeded):
    rows = {r["url"].removeprefix(HOST): r for r in rows_of(client.get("/exports/entities.csv"))}
    assert set(rows) == {entity_url(e["slug"]) for e in ENTITIES}
    ice = rows[entity_url("ice")]
    assert (ice["kind"], ice["acronym"], ice["articles"]) == ("agency", "ICE", "10")
    assert rows[entity_url("hsi")]["parent"]  # HSI sits under another agency
    assert "Reuters" in rows[entity_url("thomson-reuters")]["aliases"].split("; ")


def test_the_relationship_list_quotes_every_relationship(client, seeded):
    rows = rows_of(client.get("/exports/relationships.csv"))
    assert len(rows) == Relationship.objects.count()
    quotes = set(Relationship.objects.values_list("quote", flat=True))
    assert {r["quote"] for r in rows} == {q if not q.startswith("-") else "'" + q for q in quotes}
    assert all(r["article_url"].startswith(f"{HOST}/articles/") for r in rows)


def test_the_whole_archive_streams_as_json_lines(client, seeded):
    response = client.get("/exports/articles.jsonl")
    assert response.status_code == 200 and response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    articles = [json.loads(line) for line in lines]
    assert {a["slug"] for a in articles} == {a["slug"] for a in ARTICLES}
    utility = next(a for a in articles if a["slug"] == UTILITY)
    assert utility["body"] == Article.objects.get(slug=UTILITY).body
    assert "ice" in {e["slug"] for e in utility["agencies"]}


def test_streaming_reads_the_archive_a_batch_at_a_time(
    client, seeded, monkeypatch, django_assert_max_num_queries
):
    """Two queries a batch (articles, their entities): memory stays flat at any size."""
    from archive.views import exports

    monkeypatch.setattr(exports, "BATCH", 3)
    response = client.get("/exports/articles.jsonl")
    with django_assert_max_num_queries(2 * 4 + 1):  # 10 articles: 4 batches, then an empty read
        lines = b"".join(response.streaming_content).splitlines()
    assert len(lines) == len(ARTICLES)


@pytest.mark.parametrize("url", ["/exports/entities.csv", "/exports/relationships.csv"])
def test_no_exported_cell_is_a_formula(client, seeded, url):
    evil = Contractor.objects.create(name="=HYPERLINK(1)", slug="formula-corp", description="+1")
    article = Article.objects.get(slug=UTILITY)
    Mention.objects.create(article=article, entity=evil, count=0, spans=[])
    Relationship.objects.create(
        subject=evil, kind="sells_to", object=Contractor.objects.exclude(pk=evil.pk).first(),
        article=article, quote="@SUM(1)",
    )  # fmt: skip
    for row in rows_of(client.get(url)):
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
