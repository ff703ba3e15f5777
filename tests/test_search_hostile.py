"""Whatever arrives in the URL, /search/ and /api/search/ answer 200, 400 with a message (an
invalid filter value), or 404 (a page past the end); never 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.search import search

pytestmark = pytest.mark.django_db

PAGE, API = "/search/", "/api/search/"

NASTY = [
    "",
    " ",
    "\x00",
    "ICE\x00Wickr",
    '"',
    '"""',
    '"unbalanced quote',
    'ICE "',
    "'",
    "AND",
    "OR",
    "NOT",
    "-",
    "--",
    "*",
    "**",
    "-*",
    "NOT -",
    "OR OR OR",
    "ICE OR",
    "OR ICE",
    "ICE AND",
    "ICE NOT",
    "a*",
    "*a",
    "NEAR(ICE Wickr)",
    "ICE NEAR Wickr",
    "title:ICE",
    "{title}: ICE",
    "^ICE",
    "ICE + Wickr",
    "(ICE",
    "ICE)",
    "((()))",
    "ICE & | ! <-> :*",
    "'ICE':* & !!x",
    "ice:B",
    "\\",
    "%",
    "_%'; DROP TABLE archive_article; --",
    "1' OR '1'='1",
    "🕵️ surveillance 🕵️‍♀️",
    "🙂",
    "مراقبة ICE",
    "\u202eICE\u202c",
    "שלום",
    "监控",
    "Ｗｉｃｋｒ",  # full-width
    "ﬁnancial",  # ligature
    "e\u0301",
    "\ue000mark\ue001",  # the engines' private highlight markers
    "<script>alert(1)</script>",
    "&amp; &lt;",
    "a" * 10_000,
    "ICE " * 2_500,
    "-ICE " * 500,
    "x" * 300,
    "OR " * 100 + "Wickr",
    '"' + "ICE " * 200 + '"',
    "\n\t\r",
    "\ud7ff",
]


def check(client, url: str, params: dict) -> None:
    r = client.get(url, params)
    assert r.status_code in (200, 400, 404), (url, params, r.status_code)
    if r.status_code == 400:
        message = r.json()["error"] if url == API else r.content.decode()
        assert message.strip()
    if url == API:
        r.json()


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_nasty_queries(seeded, client, text):
    for url in (PAGE, API):
        r = client.get(url, {"q": text})
        assert r.status_code == 200, (url, text)
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

OPERATORS = st.sampled_from(
    [
        "AND",
        "OR",
        "NOT",
        "-",
        "*",
        '"',
        "“",
        "”",
        "’",
        "(",
        ")",
        ":",
        "^",
        "NEAR",
        "+",
        "!!",
        "&",
        "|",
    ]
)
WORDS = st.sampled_from(
    ["ICE", "Wickr", "clear", "CLEAR", "detain", "surveil*", "exposé", "Reuters"]
)
TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(OPERATORS, WORDS, st.text(max_size=8)), max_size=20).map(" ".join),
    st.text(alphabet=st.characters(min_codepoint=0x590, max_codepoint=0x6FF), max_size=50),  # RTL
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), max_size=20),
    st.just("x" * 10_000),
    st.builds(lambda s: s * 2000, st.text(min_size=1, max_size=5)),
)
SLUGS = st.one_of(
    st.sampled_from(["ice", "hsi", "cbp", "amazon", "clear", "trac"]), st.text(max_size=20)
)
DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.text(max_size=12),
    st.sampled_from(["2022-02-30", "0000-00-00", "2022/01/01", "01/02/2022"]),
)
PARAMS = st.fixed_dictionaries(
    {"q": TEXT},
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
def test_any_input_never_500(seeded, client, params):
    page_r = client.get(PAGE, params)
    api_r = client.get(API, params)
    for r in (page_r, api_r):
        assert r.status_code in (200, 400, 404), (params, r.status_code)
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
@given(text=TEXT)
def test_any_text_searches(seeded, text):
    r = search(text.replace("\x00", ""), page_size=5)
    assert r.total >= len(r.hits)
    for hit in r.hits:
        assert "<script" not in hit.title_html and "<script" not in hit.snippet_html
