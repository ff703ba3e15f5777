"""The read-only JSON API, as a specification: shapes, pagination, filters, errors, bounds."""

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.models import Article, Entity, Mention

from .markup import Page
from .spec import (
    ARTICLE_BY_SLUG,
    ENTITIES,
    ENTITY_BY_SLUG,
    FILTERED_SEARCHES,
    NARA_CBP,
    NEWEST,
    PLURAL,
    RAW_MARKUP,
    RELATIONSHIPS,
    SCRIPT,
    STATUS_HISTORY,
    UTILITY,
    WYDEN,
)

BASE = "http://testserver"
TR_QUOTE = (
    "This was also accomplished via a private party: the CLEAR database run by Thomson "
    "Reuters. ICE paid $21 million a year for access."
)

ENTITY_REF_KEYS = {"name", "slug", "kind", "url"}
ARTICLE_KEYS = {
    "title",
    "slug",
    "url",
    "published",
    "publication",
    "source_url",
    "agencies",
    "contractors",
    "programs",
}


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def check_entity_ref(ref, with_count=False):
    assert ENTITY_REF_KEYS <= set(ref)
    fixture = ENTITY_BY_SLUG[ref["slug"]]
    assert ref["name"] == fixture["name"]
    assert ref["kind"] == fixture["kind"]
    assert ref["url"] == f"{BASE}/{PLURAL[fixture['kind']]}/{ref['slug']}/"
    if with_count:
        assert isinstance(ref["mention_count"], int) and ref["mention_count"] >= 0


def check_article(data, body=False):
    assert ARTICLE_KEYS <= set(data)
    fixture = ARTICLE_BY_SLUG[data["slug"]]
    assert data["title"] == fixture["title"]
    assert data["url"] == f"{BASE}/articles/{data['slug']}/"
    assert data["published"] == (fixture["published"] or None)
    assert data["publication"] == "Techdirt"
    assert data["source_url"] == (fixture["source_url"] or None)
    for plural, kind in (
        ("agencies", "agency"),
        ("contractors", "contractor"),
        ("programs", "program"),
    ):
        assert isinstance(data[plural], list)
        for ref in data[plural]:
            check_entity_ref(ref, with_count=True)
            assert ref["kind"] == kind
    if body:
        assert data["body"].startswith(fixture["starts_with"])
    else:
        assert "body" not in data


# -- articles ---------------------------------------------------------------------------
def test_articles_list(client, seeded):
    data = get_json(client, "/api/articles/")
    assert data["count"] == 10
    assert data["page"] == 1
    assert data["num_pages"] == 1
    assert data["next"] is None and data["previous"] is None
    assert [a["slug"] for a in data["results"]] == NEWEST
    for a in data["results"]:
        check_article(a)
        assert "ice" in [e["slug"] for e in a["agencies"]]


def test_articles_list_entities(client, seeded):
    data = get_json(client, "/api/articles/")
    utility = next(a for a in data["results"] if a["slug"] == UTILITY)
    assert {e["slug"] for e in utility["programs"]} == {"clear"}
    assert {"thomson-reuters", "equifax", "nctue"} <= {e["slug"] for e in utility["contractors"]}
    # most-mentioned first
    for plural in ("agencies", "contractors", "programs"):
        counts = [e["mention_count"] for e in utility[plural]]
        assert counts == sorted(counts, reverse=True)


def test_articles_pagination(client, seeded, settings):
    settings.API_PAGE_SIZE = 3
    pages = []
    url = "/api/articles/"
    while url:
        data = get_json(client, url)
        assert data["count"] == 10 and data["num_pages"] == 4
        pages.append(data)
        url = data["next"] and data["next"].removeprefix(BASE)
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert pages[0]["previous"] is None
    assert pages[1]["previous"] == f"{BASE}/api/articles/?page=1"
    assert pages[0]["next"] == f"{BASE}/api/articles/?page=2"
    assert pages[-1]["next"] is None
    assert [len(p["results"]) for p in pages] == [3, 3, 3, 1]
    assert [a["slug"] for p in pages for a in p["results"]] == NEWEST


@pytest.mark.parametrize(
    "url, status",
    [
        ("/api/articles/?page=99", 404),
        ("/api/articles/?page=abc", 400),
        ("/api/articles/?page=0", 404),
    ],
)
def test_articles_bad_page(client, seeded, url, status):
    data = get_json(client, url, status=status)
    assert isinstance(data["error"], str) and data["error"]


@pytest.mark.parametrize("slug", sorted(ARTICLE_BY_SLUG))
def test_article_detail(client, seeded, slug):
    data = get_json(client, f"/api/articles/{slug}/")
    check_article(data, body=True)
    fixture = ARTICLE_BY_SLUG[slug]
    assert data["body"] == Article.objects.get(slug=slug).body
    assert data["facts_note"] == (fixture.get("facts_note") or None)
    assert data["dept"] == (fixture.get("dept") or None)


def test_article_detail_wyden(client, seeded):
    data = get_json(client, f"/api/articles/{WYDEN}/")
    assert data["published"] is None
    assert data["source_url"] is None
    assert {e["slug"] for e in data["programs"]} >= {
        "clear",
        "trac",
        "hsi-money-transfer-summonses",
    }


def test_article_detail_unknown(client, seeded):
    data = get_json(client, "/api/articles/no-such-article/", status=404)
    assert "error" in data


# -- search -------------------------------------------------------------------------------
def test_search_wickr(client, seeded):
    data = get_json(client, "/api/search/?q=Wickr")
    assert data["query"] == "Wickr"
    assert data["total"] == 1
    assert data["page"] == 1 and data["num_pages"] == 1
    [hit] = data["results"]
    assert hit["slug"] == NARA_CBP
    assert hit["title"] == ARTICLE_BY_SLUG[NARA_CBP]["title"]
    assert hit["url"] == f"{BASE}/articles/{NARA_CBP}/"
    assert hit["published"] == "2022-04-14"
    assert "<mark>Wickr</mark>" in hit["snippet"]
    assert "wickr" in [e["slug"] for e in hit["entities"]]
    for e in hit["entities"]:
        check_entity_ref(e)
    assert hit["matched_entities"] == ["wickr"]
    assert [e["slug"] for e in data["entities"]] == ["wickr"]
    assert data["entities"][0]["article_count"] == 1
    assert set(data["facets"]) == {"agency", "contractor", "program", "organization", "publication"}
    # Amazon a contractor; Wickr and WhatsApp an app and a messaging platform (programs).
    assert {f["slug"] for f in data["facets"]["contractor"]} == {"amazon"}
    assert {f["slug"] for f in data["facets"]["program"]} == {"wickr", "whatsapp"}
    assert data["facets"]["publication"] == [{"name": "Techdirt", "count": 1, "selected": False}]


def _page_hits(client, query):
    """The article slugs the search page lists, in order."""
    page = Page(client.get(f"/search/?{query}").content.decode())
    return [
        a.attr("href").removeprefix("/articles/").strip("/") for a in page.select("li.hit h2 a")
    ]


@pytest.mark.parametrize(
    "query",
    [
        "q=ICE",
        "q=Wickr",
        "q=surveillance",
        "q=data+broker",
        'q="utility+header+data"',
        "q=HSI",
        "q=CLEAR+-Equifax",
        "q=Wickr+OR+WhatsApp",
        "q=surveil*",
        "",
        "sort=oldest",
        "q=ICE&sort=newest",
    ],
)
def test_search_rank_order_matches_page(client, seeded, query):
    data = get_json(client, f"/api/search/?{query}")
    slugs = [r["slug"] for r in data["results"]]
    assert slugs == _page_hits(client, query)
    assert data["total"] == len(slugs)
    for r in data["results"]:
        assert {"title", "slug", "url", "published", "snippet", "entities"} <= set(r)


@pytest.mark.parametrize(
    "query, expected", [pytest.param(q, e, id=q) for q, e in FILTERED_SEARCHES]
)
def test_search_filters(client, seeded, query, expected):
    data = get_json(client, f"/api/search/?{query}")
    assert {r["slug"] for r in data["results"]} == expected
    assert data["total"] == len(expected)
    assert set(_page_hits(client, query)) == expected


def test_search_selected_facet(client, seeded):
    data = get_json(client, "/api/search/?agency=hsi")
    selected = [f for f in data["facets"]["agency"] if f["selected"]]
    assert [f["slug"] for f in selected] == ["hsi"]
    assert selected[0]["count"] == 3


@pytest.mark.parametrize(
    "query",
    [
        "agency=no-such-agency",
        "agency=trust-stamp",
        "program=ice",
        "published_after=yesterday",
        "published_before=2022-13-01",
        "sort=sideways",
        "page=abc",
        "page=0",
    ],
)
def test_search_bad_filter(client, seeded, query):
    data = get_json(client, f"/api/search/?{query}", status=400)
    assert isinstance(data["error"], str) and data["error"]


def test_search_page_out_of_range(client, seeded):
    data = get_json(client, "/api/search/?q=ICE&page=999", status=404)
    assert "error" in data


def test_search_no_results(client, seeded):
    data = get_json(client, "/api/search/?q=zzzzqqq")
    assert data["total"] == 0 and data["results"] == []
    assert isinstance(data["suggestions"], list)


# -- entities ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(PLURAL))
def test_entities_by_kind(client, seeded, kind):
    data = get_json(client, f"/api/entities/?kind={kind}")
    expected = {e["slug"] for e in ENTITIES if e["kind"] == kind}
    assert {e["slug"] for e in data["results"]} == expected
    assert data["count"] == len(expected)
    for e in data["results"]:
        assert {"name", "acronym", "aliases", "description", "article_count"} <= set(e)
        check_entity_ref(e)
        assert e["kind"] == kind
        fixture = ENTITY_BY_SLUG[e["slug"]]
        assert e["acronym"] == (fixture.get("acronym") or "")
        assert set(fixture.get("aliases", [])) - {fixture["name"]} <= set(e["aliases"])
        assert e["description"] == fixture["description"]
    counts = [e["article_count"] for e in data["results"]]
    assert counts == sorted(counts, reverse=True)


def test_entities_all_and_counts(client, seeded):
    data = get_json(client, "/api/entities/")
    assert data["count"] == len(ENTITIES)
    by_slug = {e["slug"]: e for e in data["results"]}
    assert by_slug["ice"]["article_count"] == 10
    assert by_slug["clear"]["article_count"] == 2
    assert by_slug["wickr"]["article_count"] == 1
    assert data["results"][0]["slug"] == "ice"


@pytest.mark.parametrize("kind", ["bogus", "agencies", "Agency"])
def test_entities_bad_kind(client, seeded, kind):
    data = get_json(client, f"/api/entities/?kind={kind}", status=400)
    assert "error" in data


@pytest.mark.parametrize("slug", [e["slug"] for e in ENTITIES])
def test_entity_detail(client, seeded, slug):
    fixture = ENTITY_BY_SLUG[slug]
    data = get_json(client, f"/api/entities/{fixture['kind']}/{slug}/")
    check_entity_ref(data)
    assert data["description"] == fixture["description"]
    assert len(data["articles"]) == data["article_count"]
    for a in data["articles"]:
        assert a["slug"] in ARTICLE_BY_SLUG
        assert a["url"] == f"{BASE}/articles/{a['slug']}/"
        assert a["mention_count"] >= 0
    expected_rels = [r for r in RELATIONSHIPS if slug in (r["subject"], r["object"])]
    got = {(r["subject"], r["kind"], r["object"], r["article"]): r for r in data["relationships"]}
    for r in expected_rels:
        key = (r["subject"], r["kind"], r["object"], r["article"])
        assert key in got, key
        assert got[key]["quote"] == r["quote"]
        # What the page shows of a claim, the API says too.
        assert got[key]["second_quote"] == (r.get("second_quote") or None)
        assert got[key]["collective"] == bool(r.get("collective"))
        assert got[key]["context"] == (r.get("context") or None)
        assert got[key]["paragraph_url"].startswith(f"{BASE}/articles/{r['article']}/#p-")
    # Each sentence of a sourced description, with its passage (as the page's footnotes).
    sources = fixture.get("description_sources", [])
    assert [(d["text"], d["article"], d["quote"]) for d in data["description_sources"]] == [
        (d["text"], d["article"], d["quote"]) for d in sources
    ]
    if fixture.get("parent"):
        assert data["parent"]["slug"] == fixture["parent"]
        cited = fixture["parent_source"]
        assert data["parent_source"]["url"].startswith(
            cited.get("url") or f"{BASE}/articles/{cited['article']}/#p-"
        )
        assert data["parent_source"]["quote"] == cited.get("quote")
    else:
        assert data["parent"] is None and data["parent_source"] is None
    children = {e["slug"] for e in ENTITIES if e.get("parent") == slug}
    assert {c["slug"] for c in data["children"]} == children


def test_entity_detail_ice(client, seeded):
    data = get_json(client, "/api/entities/agency/ice/")
    assert data["name"] == "U.S. Immigration and Customs Enforcement"
    assert data["acronym"] == "ICE"
    assert data["article_count"] == 10
    assert sorted(a["slug"] for a in data["articles"]) == sorted(ARTICLE_BY_SLUG)
    # newest first, the undated one last
    assert [a["slug"] for a in data["articles"]] == NEWEST
    assert [c["slug"] for c in data["children"]] == ["hsi"]
    assert data["parent"]["slug"] == "dhs"
    assert data["parent_source"] == {
        "url": "https://www.dhs.gov/operational-and-support-components",
        "title": "U.S. Department of Homeland Security: Operational and Support Components",
        "quote": None,
        "external": True,
    }
    quotes = {r["quote"] for r in data["relationships"]}
    # Whole sentences that name both parties (test_evidence.py).
    assert TR_QUOTE in quotes
    tr = next(
        r
        for r in data["relationships"]
        if r["subject"] == "thomson-reuters" and r["kind"] == "sells_to"
    )
    assert tr == {
        "subject": "thomson-reuters",
        "kind": "sells_to",
        "label": "sells to",
        "object": "ice",
        "amount": "$21 million a year",
        "period": tr["period"],
        "article": WYDEN,
        "quote": TR_QUOTE,
        "second_quote": tr["second_quote"],
        "collective": False,
        "context": None,
        "paragraph_url": tr["paragraph_url"],
    }
    assert data["first_named"] == "2021-08-31" and data["last_named"] == "2022-05-27"


def test_entity_detail_clear(client, seeded):
    data = get_json(client, "/api/entities/program/clear/")
    assert sorted(a["slug"] for a in data["articles"]) == sorted([WYDEN, UTILITY])
    assert data["article_count"] == 2
    assert data["children"] == [] and data["parent"] is None
    history = sorted(ENTITY_BY_SLUG["clear"]["status"], key=lambda s: s["year"])
    assert [(s["status"], s["year"], s["article"]) for s in data["status_history"]] == [
        (s["status"], s["year"], s["article"]) for s in history
    ]
    if ENTITY_BY_SLUG["clear"].get("current_status"):
        assert data["status"] == ENTITY_BY_SLUG["clear"]["current_status"]


def test_entity_detail_summonses_history(client, seeded):
    data = get_json(client, "/api/entities/program/hsi-money-transfer-summonses/")
    assert [(s["status"], s["year"]) for s in data["status_history"]] == STATUS_HISTORY[
        "hsi-money-transfer-summonses"
    ]
    assert all(s["article"] == WYDEN and s["quote"] for s in data["status_history"])


@pytest.mark.parametrize(
    "url",
    [
        "/api/entities/agency/no-such-agency/",
        "/api/entities/program/no-such/",
        "/api/entities/bogus/ice/",
        "/api/entities/agencies/ice/",
    ],
)
def test_entity_detail_not_found(client, seeded, url):
    data = get_json(client, url, status=404)
    assert isinstance(data["error"], str)


@pytest.mark.parametrize(
    "url, location",
    [
        ("/api/entities/agency/trust-stamp/", "/api/entities/contractor/trust-stamp/"),
        ("/api/entities/contractor/clear/", "/api/entities/program/clear/"),
    ],
)
def test_entity_detail_wrong_kind_redirects(client, seeded, url, location):
    response = client.get(url)
    assert response.status_code == 301
    assert urlsplit(response["Location"]).path == location
    assert client.get(location).status_code == 200


def test_api_is_read_only(client, seeded):
    for url in ("/api/articles/", "/api/search/", "/api/entities/", "/api/entities/agency/ice/"):
        assert client.post(url).status_code == 405


# -- query bounds -----------------------------------------------------------------------
# Measured -> bound = measured + 2, +1 for the archive's last change (conditional GET),
# +3 for a search on PostgreSQL (its transaction's savepoint pair and SET LOCAL).
# fmt: off
API_QUERY_BOUNDS = [
    ("/api/articles/", 5),  # 3
    (f"/api/articles/{WYDEN}/", 4),  # 2
    ("/api/search/?q=Wickr", 19),  # PostgreSQL 19 (+5: savepoints, SET LOCAL, timeout)
    ("/api/search/?q=ICE&agency=hsi&program=trac", 31),  # PostgreSQL 29 (+5 a chosen kind)
    ("/api/entities/", 4),  # 2
    ("/api/entities/?kind=agency", 4),  # 2
    ("/api/entities/agency/ice/", 15),  # 13, as its page
    ("/api/entities/agency/ice/?year=2019", 15),  # 13
    ("/api/entities/program/clear/", 15),  # 13
]
# fmt: on


@pytest.mark.parametrize("url, bound", API_QUERY_BOUNDS)
def test_query_bounds(client, seeded, django_assert_max_num_queries, url, bound):
    client.get(url)  # warm caches
    with django_assert_max_num_queries(bound):
        response = client.get(url)
    assert response.status_code == 200


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url", ["/api/articles/", "/api/entities/agency/ice/", "/api/search/?q=ICE", "/api/entities/"]
)
def test_query_count_does_not_grow_with_articles(client, seeded, url):
    client.get(url)
    before = _count(client, url)
    ice = Entity.objects.get(slug="ice")
    for i in range(5):
        body = f"ICE bought more data, report {i}."
        a = Article.objects.create(
            title=f"Extra ICE {i}",
            slug=f"extra-ice-{i}",
            body=body,
            published=dt.date(2020, 1, 1 + i),
            publication="Extra",
        )
        Mention.objects.create(article=a, entity=ice, count=1, spans=[[0, 3]])
    client.get(url)
    assert _count(client, url) == before
    if url == "/api/articles/":
        assert get_json(client, url)["count"] == 15


# -- escaping (the `hostile` article: tests/conftest.py) ---------------------------------
HOSTILE_JSON = [
    "/api/articles/",
    "/api/articles/hostile/",
    "/api/search/?q=alert",
    "/api/entities/?kind=program",
    "/api/entities/program/wickr/",
    "/api/entities/agency/ice/",
]


@pytest.mark.parametrize("url", HOSTILE_JSON)
def test_json_round_trips_hostile_text(client, hostile, url):
    """The data itself is returned exactly (JSON is data, not HTML)..."""
    text = json.dumps(get_json(client, url), ensure_ascii=False)
    assert "alert(1)" in text


@pytest.mark.parametrize("url", ["/api/search/?q=alert", "/api/search/?q=hostile"])
def test_search_html_fields_are_escaped(client, hostile, url):
    """...but the fields that are HTML (title_html, snippet) are escaped before <mark> is added."""
    data = get_json(client, url)
    hit = next(r for r in data["results"] if r["slug"] == "hostile")
    assert "<script>" not in hit["title_html"] and "<script>" not in hit["snippet"]
    assert "&lt;script&gt;" in hit["title_html"]
    assert hit["title"] == f"Hostile {SCRIPT} title"


@pytest.mark.parametrize("url", HOSTILE_JSON)
def test_no_raw_script_in_json(client, hostile, url):
    response = client.get(url)
    assert response.status_code == 200
    for markup in RAW_MARKUP:
        assert markup.encode() not in response.content, markup
