"""Taking the data away: search results, an entity's articles, every entity, every sourced
relationship and every article, in files a spreadsheet or a script reads (streamed, a BOM
first, no cell a spreadsheet runs as a formula), and the page that lists them (/data/)."""

import csv
import datetime as dt
import io
import json

import pytest
from bs4 import BeautifulSoup
from django.urls import resolve

from archive.models import Article, Contractor, Entity, EntityRedirect, Mention, Relationship
from archive.views import exports

from .spec import (
    ARTICLE_BY_SLUG,
    ARTICLES,
    BIGTECH,
    CURRENT_STATUS,
    DEPORTED,
    ENTITIES,
    FACIAL,
    FILTERED_SEARCHES,
    HSI_SPLIT,
    NARA_CBP,
    NEWEST,
    OLDEST,
    RELATIONSHIPS,
    TORRANCE,
    UTILITY,
    WYDEN,
    article_url,
    entity_url,
    relationship_id,
)

HOST = "http://testserver"
BOM = b"\xef\xbb\xbf"
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def body_of(response) -> bytes:
    assert response.status_code == 200, response
    assert response.streaming
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content)


def rows_of(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = body_of(response)
    assert data.startswith(BOM) and BOM not in data[3:]  # once, first
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def lines_of(response) -> list[dict]:
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    return [json.loads(line) for line in body_of(response).decode().splitlines()]


def slugs(rows) -> list[str]:
    return [r["archive_url"].removeprefix(f"{HOST}/articles/").rstrip("/") for r in rows]


def neutral(text: str) -> str:
    """A cell as the CSV writes it: text a spreadsheet would run gets a leading '."""
    return "'" + text if text.startswith(FORMULA) else text


# -- headers ---------------------------------------------------------------------------------
KINDS = ["agencies", "contractors", "programs", "organizations"]
ARTICLE_HEADER = ["title", "published", "publication", "source_url", "archive_url"]
HEADERS = [
    ("/search/export.csv?q=ICE", [*ARTICLE_HEADER, "snippet", *KINDS]),
    ("/agencies/ice/articles.csv", [*ARTICLE_HEADER, "mentions", "snippet", *KINDS]),
    (
        "/exports/entities.csv",
        ["kind", "name", "acronym", "aliases", "parent", "status", "articles", "description"]
        + ["url"],
    ),
    (
        "/exports/relationships.csv",
        ["subject", "subject_kind", "subject_url", "relationship", "relationship_type"]
        + ["object", "object_kind", "object_url", "amount", "period", "quote", "second_quote"]
        + ["collective", "context", "article", "published", "source_url", "article_url"],
    ),
]
CSV_URLS = [url for url, _ in HEADERS]


@pytest.mark.parametrize("url, header", HEADERS)
def test_each_csv_opens_with_a_bom_and_its_header(client, seeded, url, header):
    data = body_of(client.get(url)).decode("utf-8")
    assert data.startswith("\ufeff" + ",".join(header) + "\r\n")


@pytest.mark.parametrize(
    "url, columns",
    [
        ("/search/export.jsonl?q=ICE", exports.SEARCH_COLUMNS),
        ("/agencies/ice/articles.jsonl", exports.ENTITY_ARTICLE_COLUMNS),
        ("/exports/articles.jsonl", exports.ARCHIVE_FIELDS),
    ],
)
def test_json_lines_carry_the_documented_fields(client, seeded, url, columns):
    for line in lines_of(client.get(url)):
        assert list(line) == exports.header(columns)


ALL_DOWNLOADS = [
    *CSV_URLS,
    "/search/export.jsonl?q=ICE",
    "/agencies/ice/articles.jsonl",
    "/exports/articles.jsonl",
]


@pytest.mark.parametrize("url", ALL_DOWNLOADS)
def test_every_download_is_streamed_and_head_reads_nothing(client, seeded, url):
    response = client.get(url)
    assert response.streaming
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Type"] == response["Content-Type"]


# -- search results: every match, in order, with its facts --------------------------------------
def every_article(client) -> dict[str, dict]:
    rows = rows_of(client.get("/search/export.csv?sort=newest"))
    return dict(zip(slugs(rows), rows, strict=True))


@pytest.mark.parametrize("slug", [a["slug"] for a in ARTICLES])
def test_a_row_per_article_with_its_known_facts(client, seeded, slug):
    row, facts = every_article(client)[slug], ARTICLE_BY_SLUG[slug]
    assert row["title"] == facts["title"]
    assert row["published"] == facts["published"]  # blank when unknown, never invented
    assert row["source_url"] == facts["source_url"]
    assert row["publication"] == "Techdirt"
    assert row["archive_url"] == HOST + article_url(slug)
    # No query: the snippet is the article's opening, as plain text.
    assert row["snippet"].startswith(facts["starts_with"])


@pytest.mark.parametrize(
    "slug, column, names",
    [
        (UTILITY, "programs", {"CLEAR"}),
        (NARA_CBP, "programs", {"Wickr"}),
        (NARA_CBP, "agencies", {"NARA", "CBP", "ICE"}),
        (FACIAL, "contractors", {"Trust Stamp"}),
        (TORRANCE, "contractors", {"CoreCivic"}),
        (BIGTECH, "contractors", {"Google", "Amazon", "Microsoft"}),
        (HSI_SPLIT, "agencies", {"HSI", "ICE"}),
    ],
)
def test_entities_named_are_listed_per_kind(client, seeded, slug, column, names):
    assert names <= set(every_article(client)[slug][column].split("; "))


@pytest.mark.parametrize(
    "query, order",
    [
        ("sort=newest", NEWEST),
        ("sort=oldest", OLDEST),
        ("q=ICE&sort=newest", NEWEST),
        ("q=ICE&sort=oldest", OLDEST),
    ],
)
def test_every_match_in_the_requested_order(client, seeded, query, order):
    response = client.get(f"/search/export.csv?{query}")
    assert response["X-Total-Matches"] == str(len(order))
    assert slugs(rows_of(response)) == order


@pytest.mark.parametrize("query, expected", FILTERED_SEARCHES)
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_filters_choose_the_rows(client, seeded, query, expected, fmt):
    response = client.get(f"/search/export.{fmt}?{query}")
    rows = rows_of(response) if fmt == "csv" else lines_of(response)
    assert set(slugs(rows)) == expected


def test_relevance_puts_the_best_match_first_as_the_page_does(client, seeded):
    rows = rows_of(client.get("/search/export.csv?q=Wickr"))
    page = client.get("/api/search/?q=Wickr").json()
    assert slugs(rows)[: len(page["results"])] == [r["slug"] for r in page["results"]]


@pytest.mark.parametrize(
    "query, slug, words",
    [
        ("Wickr", NARA_CBP, "Wickr"),
        ('"utility"', UTILITY, "utility"),
        ("CoreCivic", TORRANCE, "CoreCivic"),
    ],
)
def test_the_snippet_is_the_matched_passage_as_plain_text(client, seeded, query, slug, words):
    rows = lines_of(client.get("/search/export.jsonl", {"q": query}))
    snippet = dict(zip(slugs(rows), rows, strict=True))[slug]["snippet"]
    assert words in snippet
    assert "<mark>" not in snippet and "\ue000" not in snippet and "\n" not in snippet


def test_json_lines_say_null_for_an_unknown_date(client, seeded):
    rows = lines_of(client.get("/search/export.jsonl?q=Wyden"))
    wyden = dict(zip(slugs(rows), rows, strict=True))[WYDEN]
    assert wyden["published"] is None and wyden["source_url"] is None
    assert "ICE" in wyden["agencies"]


@pytest.mark.parametrize(
    "url, status",
    [
        ("/search/export.csv?page=2", 404),  # an export is one page: every match
        ("/search/export.csv?agency=no-such-agency", 400),
        ("/search/export.jsonl?published_after=yesterday", 400),
    ],
)
def test_bad_parameters(client, seeded, url, status):
    assert client.get(url).status_code == status


@pytest.mark.parametrize("url", ["/search/export.csv?q=ICE", "/search/export.jsonl?q=ICE"])
def test_a_search_past_its_time_limit_is_a_503_before_any_row(client, seeded, url):
    from unittest import mock

    from archive.search import SearchTimeout

    with mock.patch.object(exports, "search_ids", side_effect=SearchTimeout("3000 ms")):
        response = client.get(url)
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response["Content-Type"].startswith("text/plain")
    assert "took too long" in response.content.decode()


def test_the_old_address_and_name_answer_with_the_streamed_export():
    match = resolve("/search/export.csv")
    assert match.url_name == "search-export" and match.func.__name__ == "search_csv"


# -- an entity's articles ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url, expected",
    [
        ("/agencies/ice/articles.csv", set(NEWEST)),
        ("/programs/clear/articles.csv", {WYDEN, UTILITY}),
        (
            "/agencies/hsi/articles.csv",
            {WYDEN, HSI_SPLIT, "dhs-ice-begin-body-camera-pilot-program"},
        ),
        ("/organizations/crew/articles.csv", {NARA_CBP}),
    ],
)
def test_an_entitys_articles(client, seeded, url, expected):
    rows = rows_of(client.get(url))
    assert set(slugs(rows)) == expected
    assert slugs(rows) == [s for s in NEWEST if s in expected]  # newest first, undated last
    entity = Entity.objects.get(slug=url.split("/")[2])
    for slug, row in zip(slugs(rows), rows, strict=True):
        mention = Mention.objects.get(article__slug=slug, entity=entity)
        assert row["mentions"] == str(mention.count)
        body = Article.objects.get(slug=slug).body
        start, end = mention.spans[0] if mention.spans else (0, 0)
        if 0 < end <= exports.SNIPPET_CHARS:  # the snippet shows where the article names it
            assert body[start:end] in row["snippet"]
        else:  # or, named further on (or nowhere in the text), its opening
            assert row["snippet"] == exports.opening(body[: exports.SNIPPET_CHARS])


def test_a_rejected_mention_leaves_the_entitys_export(client, seeded):
    Mention.objects.filter(article__slug=DEPORTED, entity__slug="ice").update(state="rejected")
    assert DEPORTED not in slugs(rows_of(client.get("/agencies/ice/articles.csv")))


@pytest.mark.parametrize(
    "url, status, location",
    [
        ("/agencies/old-ice/articles.csv", 301, "/agencies/ice/articles.csv"),
        ("/contractors/ice/articles.jsonl", 301, "/agencies/ice/articles.jsonl"),
        ("/agencies/no-such-agency/articles.csv", 404, None),
    ],
)
def test_an_entitys_export_follows_it_or_is_not_found(client, seeded, url, status, location):
    EntityRedirect.objects.create(old_slug="old-ice", entity=Entity.objects.get(slug="ice"))
    response = client.get(url)
    assert response.status_code == status
    if location:
        assert response["Location"] == location


# -- the catalogue -------------------------------------------------------------------------------
@pytest.mark.parametrize("entity", ENTITIES, ids=[e["slug"] for e in ENTITIES])
def test_the_entity_list_holds_every_entity_with_its_facts(client, seeded, entity):
    rows = {r["url"].removeprefix(HOST): r for r in rows_of(client.get("/exports/entities.csv"))}
    row = rows[entity_url(entity["slug"])]
    assert row["kind"] == entity["kind"] and row["name"] == neutral(entity["name"])
    assert row["acronym"] == entity.get("acronym", "")
    assert row["description"] == neutral(entity.get("description", ""))
    aliases = [a if isinstance(a, str) else a["name"] for a in entity.get("aliases") or []]
    own = {entity["name"], entity.get("acronym")}  # the name itself is no alias
    assert {neutral(a) for a in aliases if a not in own} <= set(row["aliases"].split("; "))
    assert row["status"] == CURRENT_STATUS.get(entity["slug"], "")


def test_every_kind_and_parent_is_listed(client, seeded):
    rows = rows_of(client.get("/exports/entities.csv"))
    assert {r["kind"] for r in rows} == {"agency", "contractor", "program", "organization"}
    hsi = next(r for r in rows if r["url"].endswith("/agencies/hsi/"))
    assert hsi["parent"] == Entity.objects.get(slug="ice").name
    assert hsi["articles"] == "3"


@pytest.mark.parametrize("rel", RELATIONSHIPS, ids=[relationship_id(r) for r in RELATIONSHIPS])
def test_the_relationship_list_is_an_edge_list_with_sources(client, seeded, rel):
    rows = rows_of(client.get("/exports/relationships.csv"))
    assert len(rows) == Relationship.objects.count()
    facts = ARTICLE_BY_SLUG[rel["article"]]
    (row,) = [
        r
        for r in rows
        if r["subject_url"] == HOST + entity_url(rel["subject"])
        and r["object_url"] == HOST + entity_url(rel["object"])
        and r["relationship_type"] == rel["kind"]
        and r["article_url"] == HOST + article_url(rel["article"])
        and r["amount"] == neutral(rel.get("amount") or "")
        and r["period"] == neutral(rel.get("period") or "")
    ]
    assert row["quote"] == neutral(rel["quote"])
    assert (row["published"], row["source_url"]) == (facts["published"], facts["source_url"])
    assert row["collective"] in ("yes", "no")


def test_the_newer_relationship_fields_are_written(client, seeded):
    rel = Relationship.objects.first()
    rel.second_quote, rel.collective, rel.context = "Another sentence.", True, "paragraph"
    rel.save()
    rows = rows_of(client.get("/exports/relationships.csv"))
    row = next(r for r in rows if r["second_quote"] == "Another sentence.")
    assert (row["collective"], row["context"]) == ("yes", "paragraph")


# -- no formula reaches a spreadsheet -------------------------------------------------------------
@pytest.mark.parametrize(
    "url", [*CSV_URLS, "/search/export.csv?sort=newest", "/contractors/formula-corp/articles.csv"]
)
def test_no_exported_cell_is_a_formula(client, seeded, url):
    evil = Contractor.objects.create(name="=HYPERLINK(1)", slug="formula-corp", description="+1")
    article = Article.objects.create(
        title="@SUM(1)", slug="formula-row", body="-1 is a formula\n=2", publication="+pub",
        published=dt.date(2030, 1, 1), source_url="https://example.org/",
    )  # fmt: skip
    for a in (article, Article.objects.get(slug=UTILITY)):
        Mention.objects.create(article=a, entity=evil, count=1, spans=[[0, 2]])
    Relationship.objects.create(
        subject=evil, kind="sells_to", object=Contractor.objects.exclude(pk=evil.pk).first(),
        article=article, quote="@SUM(1)", amount="-5", period="=1",
    )  # fmt: skip
    rows = rows_of(client.get(url))
    assert rows
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA), value


# -- bounded: the same queries for 30 rows or 300 --------------------------------------------------
def _add_ice_articles(n: int) -> None:
    ice = Entity.objects.get(slug="ice")
    made = Article.objects.bulk_create(
        Article(
            title=f"Bulk {i}", slug=f"bulk-{i}", body=f"ICE bought data, part {i}.",
            published=dt.date(2020, 1, 1) + dt.timedelta(days=i), publication="Bulk",
        )
        for i in range(n)
    )  # fmt: skip
    Mention.objects.bulk_create(
        Mention(article=a, entity=ice, count=1, spans=[[0, 3]]) for a in made
    )


BOUNDED = [
    ("/search/export.csv?q=ICE&sort=newest", 16),
    ("/search/export.jsonl?agency=ice", 16),
    ("/search/export.csv?q=bought", 16),
    ("/search/export.csv?publication=Bulk", 12),
    ("/agencies/ice/articles.csv", 10),
    ("/agencies/ice/articles.jsonl", 10),
    ("/exports/relationships.csv", 6),
    ("/exports/entities.csv", 10),
    ("/exports/articles.jsonl", 8),
]


@pytest.mark.parametrize("n", [30, 300])
@pytest.mark.parametrize("url, bound", BOUNDED)
def test_queries_do_not_grow_with_the_rows(
    client, seeded, django_assert_max_num_queries, url, bound, n
):
    _add_ice_articles(n)
    client.get(url)  # warm the per-catalogue caches
    with django_assert_max_num_queries(bound):
        data = body_of(client.get(url))
    assert data


def test_streaming_reads_a_batch_at_a_time(
    client, seeded, monkeypatch, django_assert_max_num_queries
):
    """Two queries a batch (rows, their entities): memory stays flat at any size."""
    monkeypatch.setattr(exports, "BATCH", 3)
    response = client.get("/exports/articles.jsonl")
    with django_assert_max_num_queries(2 * 4 + 1):  # 10 articles: 4 batches, then an empty read
        lines = b"".join(response.streaming_content).splitlines()
    assert len(lines) == len(ARTICLES)
    response = client.get("/search/export.csv?sort=newest")
    # The ids were read before the first byte; the catalogue's names once, then two a batch.
    with django_assert_max_num_queries(1 + 2 * 4):
        rows = b"".join(response.streaming_content).splitlines()
    assert len(rows) == len(ARTICLES) + 1


def test_a_search_export_of_many_rows_holds_them_all(client, seeded):
    _add_ice_articles(300)
    assert len(rows_of(client.get("/search/export.csv?publication=Bulk"))) == 300


# -- the data page ---------------------------------------------------------------------------------
def test_the_data_page_links_every_download_and_the_api(client, seeded):
    response = client.get("/data/")
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    links = {a["href"].split("?")[0] for a in page.select("main a[href]")}
    assert {
        "/search/export.csv",
        "/search/export.jsonl",
        "/search/",
        "/agencies/ice/articles.csv",
        "/agencies/ice/articles.jsonl",
        "/exports/entities.csv",
        "/exports/relationships.csv",
        "/exports/articles.jsonl",
        "/api/articles/",
        "/api/search/",
        "/api/entities/",
        "/api/entities/agency/ice/",
    } <= links
    for link in links - {"/search/"}:  # each answers
        assert client.get(link).status_code == 200, link


@pytest.mark.parametrize(
    "section, columns",
    [
        ("search", exports.SEARCH_COLUMNS),
        ("entity-articles", exports.ENTITY_ARTICLE_COLUMNS),
        ("entities", exports.ENTITY_COLUMNS),
        ("relationships", exports.RELATIONSHIP_COLUMNS),
        ("articles", exports.ARCHIVE_FIELDS),
    ],
)
def test_the_data_page_describes_each_files_columns(client, seeded, section, columns):
    page = BeautifulSoup(client.get("/data/").content, "html.parser")
    names = [th.get_text() for th in page.select(f"#{section} tbody th")]
    assert names == exports.header(columns)


def test_entities_csv_gives_a_programs_status_as_its_page_does(client, seeded):
    """The status is derived from the sourced history, as on the page and in the index: an
    editor's later claim shows at once (the stored field is left as it was)."""
    from archive.models import Program, ProgramStatus

    clear = Program.objects.get(slug="clear")
    ProgramStatus.objects.create(
        program=clear,
        status="suspended",
        year=2099,
        article=Article.objects.get(slug=UTILITY),
        quote="This means the data no longer flows to Reuters’ CLEAR database.",
    )
    row = next(r for r in rows_of(client.get("/exports/entities.csv")) if r["name"] == "CLEAR")
    assert row["status"] == "suspended"
    page = client.get("/programs/clear/").content.decode()
    assert "Suspended" in page


# The plain-text snippet of a search export: the stretch around the first place a query
# word starts (query -> what every row's snippet shows).
SNIPPETS = [
    ("utility", "utilit"),
    ("surveil*", "surveil"),
    ('"facial recognition"', "facial"),
]


@pytest.mark.parametrize("query, shown", SNIPPETS)
def test_a_search_exports_snippet_shows_where_the_query_matched(client, seeded, query, shown):
    rows = rows_of(client.get("/search/export.csv", {"q": query, "sort": "newest"}))
    # Rows whose read excerpt holds the word (the others matched in the title or further
    # on, and show their opening).
    bodies = dict(Article.objects.values_list("title", "body"))
    holding = [r for r in rows if shown in bodies[r["title"]][: exports.SNIPPET_CHARS].lower()]
    assert holding
    assert [r["title"] for r in holding if shown not in r["snippet"].lower()] == []


def test_a_short_query_word_matches_whole_words_and_accents_fold():
    from archive.search import parse

    finder = exports._words_finder(parse("ice médecins"))
    text = "Iceland is cold. Médecins Sans Frontières and ICE agents.".translate(exports._FOLD)
    assert [m.group() for m in finder.finditer(text)] == ["Medec", "ICE"]
