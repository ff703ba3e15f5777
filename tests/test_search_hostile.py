"""Whatever arrives in the URL, /search/ and /api/search/ answer 200, 400 with a message (an
invalid filter value), or 404 (a page past the end); never 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.search import search

from .spec import HOSTILE_QUERIES, HOSTILE_TEXT, RAW_MARKUP

pytestmark = pytest.mark.django_db

PAGE, API = "/search/", "/api/search/"


@pytest.mark.parametrize("text", [pytest.param(t, id=ascii(t)[:40]) for t in HOSTILE_QUERIES])
def test_nasty_queries(hostile, client, text):
    """Over the seed and the `hostile` article (tests/conftest.py), whose markup must stay text."""
    for url in (PAGE, API):
        r = client.get(url, {"q": text})
        assert r.status_code == 200, (url, text)
        for markup in RAW_MARKUP:
            assert markup.encode() not in r.content, (url, text, markup)
    # Straight into search() too (the views strip NULs first; search must cope anyway).
    search(text)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"published_after": "yesterday"}, "published_after"),
        ({"published_before": "2022-13-45"}, "published_before"),
        ({"published_after": "\x00"}, None),
        ({"agency": "no-such-agency"}, "agency"),
        ({"agency": ["ice", "nope"]}, "agency"),
        ({"contractor": "ice"}, "contractor"),  # an agency is not a contractor
        ({"program": "💥"}, "program"),
        ({"sort": "sideways"}, "sort"),
    ],
)
def test_invalid_filter_values_are_400_with_a_message(seeded, client, params, message):
    for url in (PAGE, API):
        r = client.get(url, {"q": "ICE", **params})
        if params.get("published_after") == "\x00":
            # NUL is stripped: an empty date is no filter.
            assert r.status_code == 200
            continue
        assert r.status_code == 400, (url, params)
        text = r.json()["error"] if url == API else r.content.decode()
        assert message in text


@pytest.mark.parametrize("page", ["x", "1.5", "", " ", "1e3", "0x10", "٣"])
def test_page_that_is_not_a_number(seeded, client, page):
    for url in (PAGE, API):
        r = client.get(url, {"q": "ICE", "page": page})
        if page == "":
            assert r.status_code == 200  # no page is page 1
        elif page == "٣":
            assert r.status_code == 404  # int() reads Arabic-Indic digits: page 3 of 1
        else:
            assert r.status_code == 400, (url, page)


@pytest.mark.parametrize("page", ["0", "-1", "2", "99", "100001", "9" * 30])
def test_page_past_the_end(seeded, client, page):
    page_r = client.get(PAGE, {"q": "ICE", "page": page})
    api_r = client.get(API, {"q": "ICE", "page": page})
    assert page_r.status_code in (400, 404)
    assert api_r.status_code == page_r.status_code
    assert api_r.json()["error"]
    if page in ("2", "99"):
        assert page_r.status_code == 404
        assert api_r.json() == {"error": "page out of range"}


# -- properties ------------------------------------------------------------------------------

SLUGS = st.one_of(
    st.sampled_from(["ice", "hsi", "cbp", "amazon", "clear", "trac"]), st.text(max_size=20)
)
DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.text(max_size=12),
    st.sampled_from(["2022-02-30", "0000-00-00", "2022/01/01", "01/02/2022"]),
)
PARAMS = st.fixed_dictionaries(
    {"q": HOSTILE_TEXT},
    optional={
        "agency": st.lists(SLUGS, max_size=3),
        "contractor": st.lists(SLUGS, max_size=2),
        "program": SLUGS,
        "published_after": DATES,
        "published_before": DATES,
        "publication": st.text(max_size=30),
        "sort": st.one_of(st.sampled_from(["relevance", "newest", "oldest"]), st.text(max_size=10)),
        "page": st.one_of(st.integers(-5, 50).map(str), st.text(max_size=5)),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=PARAMS)
def test_any_input_never_500(hostile, client, params):
    page_r = client.get(PAGE, params)
    api_r = client.get(API, params)
    for r in (page_r, api_r):
        assert r.status_code in (200, 400, 404), (params, r.status_code)
        for markup in RAW_MARKUP:
            assert markup.encode() not in r.content, (params, markup)
    assert page_r.status_code == api_r.status_code, params
    if api_r.status_code == 400:
        assert api_r.json()["error"].strip()
        assert page_r.content.strip()
    elif api_r.status_code == 404:
        assert api_r.json() == {"error": "page out of range"}
    else:
        data = api_r.json()
        assert data["total"] >= len(data["results"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=HOSTILE_TEXT)
def test_any_text_searches(hostile, text):
    r = search(text.replace("\x00", ""), page_size=5)
    assert r.total >= len(r.hits)
    for hit in r.hits:
        assert "<script" not in hit.title_html and "<script" not in hit.snippet_html


@pytest.mark.parametrize(
    "url, content_type",
    [
        ("/search/?q=ICE", "text/html"),
        ("/api/search/?q=ICE", "application/json"),
        ("/search/export.csv?q=ICE", "text/plain"),
    ],
)
def test_a_search_past_its_time_limit_is_answered_with_a_message(client, seeded, url, content_type):
    """A search stopped by SEARCH_TIMEOUT_MS (SearchTimeout) is a 503 that says what to try,
    never a 500 or a stuck worker."""
    from unittest import mock

    from archive.search import SearchTimeout

    stopped = SearchTimeout("3000 ms")
    with (
        mock.patch("archive.views.common.search", side_effect=stopped),
        mock.patch("archive.views.exports.search_ids", side_effect=stopped),
    ):
        response = client.get(url)
    assert response.status_code == 503
    assert response["Content-Type"].startswith(content_type)
    assert response["Retry-After"] == "5"
    assert "took too long" in response.content.decode()
