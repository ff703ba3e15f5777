"""The search, specified by tables over the seed (seeds/000_bfd58ad0cbd93c3f.txt).

Every row here must pass on FTS5 and on PostgreSQL (the suite runs once per engine), and
test_engine_equivalence compares the two engines in one run: the same queries go to the
other engine's fresh database (migrated and seeded in a child process, answered by
`manage.py search_snapshot`) and must find the same articles.

Both engines stem with the original Porter algorithm (FTS5's porter tokenizer; PostgreSQL's
`archive_english` configuration, switched from Snowball English by migration 0005), fold
diacritics and keep stop words, so they find the same articles; rank order may differ
(bm25 against ts_rank_cd), which is why order is asserted only where it is unambiguous.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from archive.models import Article, Entity
from archive.names.text import words
from archive.search import Filters, PageOutOfRange, parse, search

from .spec import (
    ALL,
    BIGTECH,
    BODYCAM,
    DEPORTED,
    FACIAL,
    HSI_SPLIT,
    IMG,
    NARA_CBP,
    NEWEST,
    OLDEST,
    REPORT,
    ROOT,
    SCRIPT,
    TORRANCE,
    UTILITY,
    WYDEN,
)
from .test_search_entities import ENTITY_TOP
from .test_search_words import WORDS, article_rows, found_in_row

pytestmark = pytest.mark.django_db


def slugs(results) -> list[str]:
    return [h.article.slug for h in results.hits]


def result_set(text: str, **kwargs) -> set[str]:
    r = search(text, page_size=100, **kwargs)
    assert r.total == len(r.hits)
    return set(slugs(r))


def entity_filter(**kinds: list[str]) -> Filters:
    ids = {
        kind: list(Entity.objects.filter(kind=kind, slug__in=values).values_list("id", flat=True))
        for kind, values in kinds.items()
    }
    return Filters(entity_ids=ids)


# -- first result ---------------------------------------------------------------------------

FIRST = [
    ("Wickr", NARA_CBP),
    ("wickr", NARA_CBP),
    ("detainees", TORRANCE),
    ("Equifax", UTILITY),
    ('"utility header data"', UTILITY),
    ("Trust Stamp", FACIAL),
    ("body camera", BODYCAM),
    ("CoreCivic", TORRANCE),
    ("Torrance", TORRANCE),
    ("deported", DEPORTED),
    ("Microsoft", BIGTECH),
    ("NARA", NARA_CBP),
    ("National Archives", NARA_CBP),
    ("Amazon -Wickr", BIGTECH),
    ("subpoena*", WYDEN),
    ("Western Union", WYDEN),
    ('"facial recognition"', FACIAL),
    ("Homeland Security Investigations", HSI_SPLIT),
    ("auto-delete", NARA_CBP),
    ("DMV", REPORT),
    # Both name the Supreme Court once; entity-aware ranking (issue 8, item 7) puts the
    # earlier mention first ("Sidestepping Supreme Court rulings", REPORT).
    ("Supreme Court", REPORT),
    ("raven", BIGTECH),
]


@pytest.mark.parametrize("text, first", [pytest.param(t, f, id=t) for t, f in FIRST])
def test_first_result(seeded, text, first):
    r = search(text)
    assert r.hits, text
    assert r.hits[0].article.slug == first


# -- result sets: both engines must return exactly these -----------------------------------

SETS = [
    # single words and stemming ("detain" finds the detainee articles)
    ("Wickr", {NARA_CBP}),
    ("detain", {TORRANCE, DEPORTED}),
    ("detainee", {TORRANCE, DEPORTED}),
    ("detainees", {TORRANCE, DEPORTED}),
    ("DETAINEES", {TORRANCE, DEPORTED}),
    ("deported", {DEPORTED, REPORT}),
    ("Wyden", {UTILITY, WYDEN, REPORT}),
    ("Torrance", {TORRANCE}),
    ("Trust Stamp", {FACIAL}),
    ("body camera", {BODYCAM}),
    ("Amazon", {BIGTECH, NARA_CBP}),
    ("Supreme Court", {DEPORTED, REPORT}),
    # diacritics folded both ways: the seed has "exposé" (REPORT); "expose" also stems to
    # the "exposed" of FACIAL and DEPORTED on both engines.
    ("exposé", {FACIAL, REPORT, DEPORTED}),
    ("expose", {FACIAL, REPORT, DEPORTED}),
    ("EXPOSÉ", {FACIAL, REPORT, DEPORTED}),
    # CLEAR in capitals is the program (an acronym means its entity, as in the linker),
    # so it finds the two articles linked to it, not every "clear".
    ("CLEAR", {UTILITY, WYDEN}),
    ("CLEAR Equifax", {UTILITY}),
    ("CLEAR -Equifax", {WYDEN}),
    ("NARA", {NARA_CBP}),
    ("CBP", {NARA_CBP, BIGTECH}),
    ("RAVEn", {BIGTECH}),
    ("raven", {BIGTECH}),
    ("ICE", ALL),
    # phrases
    ('"utility header data"', {UTILITY}),
    ("“utility header data”", {UTILITY}),
    ('"header utility data"', set()),
    ('"facial recognition"', {FACIAL, BODYCAM}),
    ("auto-delete", {NARA_CBP}),
    ("e-mail", set()),
    # OR
    ("facial OR Wickr", {NARA_CBP, FACIAL, BODYCAM}),
    ("messaging OR messages", {NARA_CBP, HSI_SPLIT}),
    ("Equifax OR Wickr OR CoreCivic", {UTILITY, NARA_CBP, TORRANCE}),
    ("zzzz OR Wickr", {NARA_CBP}),
    # exclusion
    ("ICE -Equifax", ALL - {UTILITY}),
    ("ICE NOT Equifax", ALL - {UTILITY}),
    ("-Equifax", ALL - {UTILITY}),  # exclusions alone: everything else
    ("-CLEAR", ALL - {UTILITY, WYDEN}),
    ('Amazon -"Wickr"', {BIGTECH}),
    ("Amazon -Wickr", {BIGTECH}),
    # prefix
    ("surveil*", {BIGTECH, REPORT, WYDEN, FACIAL, HSI_SPLIT, UTILITY, BODYCAM}),
    ("leak*", {FACIAL, UTILITY, TORRANCE}),
    ("subpoena*", {WYDEN}),
    # apostrophes: curly = straight = the phrase "driver s"
    ("driver’s", {REPORT, FACIAL}),
    ("driver's", {REPORT, FACIAL}),
    ('"driver s"', {REPORT, FACIAL}),
    # aliases: entity names are indexed with each linked article, so the long name finds
    # the articles that only say ICE, and "Reuters" the Thomson Reuters ones.
    ("Immigration and Customs Enforcement", ALL),
    ('"Immigration and Customs Enforcement"', ALL),
    ("Reuters", {UTILITY, WYDEN}),
    ("Thomson Reuters", {UTILITY, WYDEN}),
    ("Homeland Security Investigations", {HSI_SPLIT, BODYCAM, WYDEN}),
    # nothing
    ("zzzz", set()),
    ("Wikr", set()),
]


@pytest.mark.parametrize("text, expected", [pytest.param(t, e, id=t) for t, e in SETS])
def test_result_set(seeded, text, expected):
    assert result_set(text) == expected


def test_both_engines_stem_alike(seeded):
    """PostgreSQL uses the Porter stemmer too (migration 0005): "clearly" is not "clear" on
    either engine, so lower-case "clear" finds the same five articles on both."""
    assert result_set("clear") == {UTILITY, HSI_SPLIT, WYDEN, DEPORTED, TORRANCE}


def test_curly_and_straight_apostrophes_are_one_query(seeded):
    a, b = search("driver’s"), search("driver's")
    assert slugs(a) == slugs(b)
    assert str(a.query) == str(b.query) == '"driver s"'


def test_acronym_typed_in_capitals_means_the_entity():
    q = parse("CLEAR clear", {"CLEAR"})
    assert [t.acronym for t in q.positive_terms()] == ["CLEAR", ""]
    assert str(q) == "CLEAR clear"
    assert parse("CLEAR*", {"CLEAR"}).positive_terms()[0].acronym == ""


# -- entity cards, suggestions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, entities",
    [
        ("Immigration and Customs Enforcement", ["ice"]),
        ("Reuters", ["thomson-reuters"]),
        ("Thomson Reuters", ["thomson-reuters"]),
        ("Wickr", ["wickr"]),
        ("CLEAR", ["clear"]),
        ("clear", []),  # the common word is not the program
        ("ICE -Equifax", ["ice"]),  # an excluded entity gets no card
        ("detainees", []),
    ],
)
def test_entity_cards(seeded, text, entities):
    assert [e.slug for e in search(text).entities] == entities


def test_entity_card_counts(seeded):
    (ice,) = search("Immigration and Customs Enforcement").entities
    assert ice.article_count == 10


def test_misspelling_suggests_and_names_similar_entities(seeded):
    r = search("Wikr")
    assert r.total == 0
    assert "wickr" in r.suggestions
    assert "wickr" in [e.slug for e in r.similar_entities]


@pytest.mark.parametrize(
    "text, suggestion",
    [
        ("Wikr", "wickr"),
        ("Equifx", "equifax"),
        ("survellance", "surveillance"),  # a word, never a stem ("surveil")
        ("detaned", "detained"),
        ("Wickr messagez", "wickr message"),  # the whole query, each word fixed
    ],
)
def test_suggestions(seeded, text, suggestion):
    assert search(text).suggestions == [suggestion]


def test_no_suggestion_that_would_find_nothing(seeded):
    # "detainees" is right and "wickr" is close, but no article has both.
    assert search("detainees wikr").suggestions == []
    assert search("zzzzzzzz").suggestions == []


def test_suggestions_only_when_nothing_matched(seeded):
    assert search("Wickr").suggestions == []


# -- filters ---------------------------------------------------------------------------------


def test_agency_filter(seeded):
    assert result_set("", filters=entity_filter(agency=["hsi"])) == {HSI_SPLIT, BODYCAM, WYDEN}


def test_values_within_a_facet_are_any_of(seeded):
    f = entity_filter(agency=["hsi", "nara"])
    assert result_set("", filters=f) == {HSI_SPLIT, BODYCAM, WYDEN, NARA_CBP}


def test_facets_combine_all_of(seeded):
    f = entity_filter(agency=["hsi"], contractor=["thomson-reuters"])
    assert result_set("", filters=f) == {WYDEN}
    f = entity_filter(agency=["cbp"], contractor=["amazon", "equifax"])
    assert result_set("", filters=f) == {NARA_CBP, BIGTECH}


def test_filter_with_query(seeded):
    assert result_set("ICE", filters=entity_filter(program=["clear"])) == {UTILITY, WYDEN}
    assert result_set("Reuters", filters=entity_filter(agency=["hsi"])) == {WYDEN}


def test_date_range(seeded):
    f = Filters(published_after=dt.date(2022, 1, 1), published_before=dt.date(2022, 3, 25))
    assert result_set("", filters=f) == {HSI_SPLIT, TORRANCE}  # both ends inclusive
    f = Filters(published_after=dt.date(2022, 4, 1))
    assert result_set("ICE", filters=f) == {FACIAL, REPORT, NARA_CBP}
    # An undated article is outside every date range.
    f = Filters(published_before=dt.date(2030, 1, 1))
    assert result_set("", filters=f) == ALL - {WYDEN}


def test_date_range_with_sort_and_query(seeded):
    f = Filters(published_after=dt.date(2021, 12, 1), published_before=dt.date(2022, 1, 31))
    assert slugs(search("ICE", filters=f, sort="oldest")) == [UTILITY, BODYCAM, HSI_SPLIT]


def test_publication(seeded):
    assert result_set("", filters=Filters(publication="Techdirt")) == ALL
    assert result_set("ICE", filters=Filters(publication="Nowhere")) == set()


def test_filters_through_the_api(seeded, client):
    r = client.get("/api/search/", {"agency": ["hsi", "nara"], "contractor": "thomson-reuters"})
    assert r.status_code == 200
    assert {h["slug"] for h in r.json()["results"]} == {WYDEN}


# -- facets ----------------------------------------------------------------------------------


def facet(results, kind) -> dict[str, int]:
    return {f.value: f.count for f in results.facets[kind]}


def test_facet_counts_for_a_query(seeded):
    r = search("ICE")
    agencies = facet(r, "agency")
    assert agencies["ice"] == 10
    assert agencies["hsi"] == 3
    assert agencies["dhs"] == 3
    assert agencies["cbp"] == 2
    assert facet(r, "program")["clear"] == 2
    assert [(p.value, p.count) for p in r.publications] == [("Techdirt", 10)]


def test_facet_counts_follow_query_and_filters(seeded):
    r = search("Reuters")
    assert facet(r, "agency")["ice"] == 2
    assert facet(r, "contractor")["thomson-reuters"] == 2
    r = search("ICE", filters=entity_filter(agency=["hsi"]))
    # Agencies are OR-ed: with HSI chosen, a click on ICE gives the articles naming HSI or
    # ICE (all ten); the selected HSI shows the articles that name it.
    assert facet(r, "agency")["ice"] == 10
    assert facet(r, "agency")["hsi"] == 3
    assert facet(r, "contractor")["thomson-reuters"] == 1  # other kinds: AND (the Wyden article)
    assert [f.value for f in r.facets["agency"] if f.selected] == ["hsi"]


# A facet value's count is the number of results a click on it gives (disjunctive
# faceting), whatever is already chosen: (query, chosen filters).
CLICK_CASES = [
    ("", {}),
    ("ICE", {}),
    ("", {"agency": ["ice"]}),
    ("ICE", {"agency": ["hsi"]}),
    ("ICE", {"agency": ["hsi", "cbp"]}),
    ("data", {"agency": ["ice"], "contractor": ["thomson-reuters"]}),
    ("", {"contractor": ["equifax", "nctue"], "program": ["clear"]}),
    ("", {"contractor": ["amazon", "google", "microsoft"]}),
    ("surveillance", {"program": ["clear"]}),
]


def _toggled(filters: Filters, kind: str, entity_id: int) -> Filters:
    ids = list(filters.entity_ids.get(kind, []))
    ids = [i for i in ids if i != entity_id] if entity_id in ids else ids + [entity_id]
    return Filters(entity_ids={**filters.entity_ids, kind: ids})


@pytest.mark.parametrize("text, chosen", CLICK_CASES)
def test_a_facet_count_is_what_a_click_gives(seeded, text, chosen):
    filters = entity_filter(**chosen)
    r = search(text, filters=filters)
    checked = 0
    for kind, values in r.facets.items():
        for f in values + r.more_facets.get(kind, []):
            if f.selected:
                # A selected value's count: how many of the results name it.
                names_it = search(
                    text, filters=Filters(entity_ids={**filters.entity_ids, kind: [f.entity.id]})
                )
                assert f.count == names_it.total, (kind, f.value)
                continue
            clicked = search(text, filters=_toggled(filters, kind, f.entity.id), page_size=1)
            assert f.count == clicked.total, (kind, f.value)
            checked += 1
    assert checked


@pytest.mark.parametrize("text", ["", "ICE", "Reuters"])
def test_facet_values_by_count_then_label(seeded, text):
    r = search(text)
    for kind, values in r.facets.items():
        assert len(values) <= 12
        keys = [(-f.count, f.label.lower()) for f in values]
        assert keys == sorted(keys), kind


def test_selected_facet_values_past_the_cut_are_kept(seeded):
    # More than 12 contractors are named with ICE; select them all and every one is shown
    # (in its place by count and label), not just the first 12.
    unselected = search("ICE").facets["contractor"]
    named = [
        s
        for (s,) in Entity.objects.filter(kind="contractor", mentions__isnull=False)
        .distinct()
        .values_list("slug")
    ]
    assert len(unselected) == 12 < len(named)
    r = search("ICE", filters=entity_filter(contractor=named))
    values = r.facets["contractor"]
    assert sorted(f.value for f in values) == sorted(named)
    assert all(f.selected for f in values)
    keys = [(-f.count, f.label.lower()) for f in values]
    assert keys == sorted(keys)


def test_api_facets(seeded, client):
    data = client.get("/api/search/", {"q": "ICE"}).json()
    counts = {f["slug"]: f["count"] for f in data["facets"]["agency"]}
    assert counts["ice"] == 10


# -- sorting ---------------------------------------------------------------------------------


def test_empty_query_browses_newest_first(seeded):
    r = search("", page_size=100)
    assert r.sort == "newest"
    assert r.total == 10
    assert slugs(r) == NEWEST


def test_newest_and_oldest(seeded):
    assert slugs(search("ICE", sort="newest", page_size=100)) == NEWEST
    # Undated articles come last in both directions.
    assert slugs(search("ICE", sort="oldest", page_size=100)) == OLDEST
    assert slugs(search("", sort="oldest", page_size=100)) == OLDEST


def test_sort_ties_are_broken_by_id(seeded):
    day = dt.date(2022, 1, 1)
    extra = [
        Article.objects.create(
            title=f"Tie {i}", slug=f"tie-{i}", body="tiebreak word", published=day
        )
        for i in range(3)
    ]
    by_id = [a.slug for a in sorted(extra, key=lambda a: a.id)]
    assert slugs(search("tiebreak", sort="newest")) == by_id[::-1]
    assert slugs(search("tiebreak", sort="oldest")) == by_id
    # Ranking ties (identical text) are deterministic too: newest, then highest id.
    assert slugs(search("tiebreak")) == by_id[::-1]
    assert slugs(search("tiebreak")) == slugs(search("tiebreak"))


def test_unknown_sort_is_relevance(seeded):
    assert search("Wickr", sort="bogus").sort == "relevance"


# -- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, sort", [("", "newest"), ("ICE", "relevance"), ("ICE", "oldest")])
def test_pages_partition_the_results(seeded, text, sort):
    whole = slugs(search(text, sort=sort, page_size=100))
    first = search(text, sort=sort, page_size=3)
    assert first.num_pages == 4
    pages = [slugs(search(text, sort=sort, page=n, page_size=3)) for n in range(1, 5)]
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert sum(pages, []) == whole
    last = search(text, sort=sort, page=4, page_size=3)
    assert (last.start_index, last.end_index, last.has_next, last.has_previous) == (
        10,
        10,
        False,
        True,
    )


@pytest.mark.parametrize("page", [0, -1, 5, 999])
def test_page_out_of_range(seeded, page):
    with pytest.raises(PageOutOfRange):
        search("ICE", page=page, page_size=3)


def test_no_results_is_one_empty_page(seeded):
    r = search("zzzz")
    assert (r.total, r.num_pages, r.hits) == (0, 1, [])
    with pytest.raises(PageOutOfRange):
        search("zzzz", page=2)


def test_page_past_end_over_http(seeded, client):
    assert client.get("/search/", {"q": "ICE", "page": 2}).status_code == 404
    r = client.get("/api/search/", {"q": "ICE", "page": 2})
    assert r.status_code == 404
    assert r.json() == {"error": "page out of range"}
    assert client.get("/api/search/", {"q": "ICE", "page": "x"}).status_code == 400
    assert client.get("/search/", {"q": "ICE", "page": 1}).status_code == 200


# -- highlighting ----------------------------------------------------------------------------


def test_title_and_snippet_mark_the_match(seeded):
    (hit,) = search("Wickr").hits
    assert "<mark>" not in hit.title_html  # "Wickr" is not in the title
    assert "<mark>Wickr</mark>" in hit.snippet_html
    hit = search("detainees").hits[0]
    assert "<mark>Detainees</mark>" in hit.title_html


def test_highlights_are_escaped(seeded):
    Article.objects.create(
        title=f"Hostile {SCRIPT} zebrafish & co",
        slug="hostile-markup",
        body=f"The zebrafish said {SCRIPT} & <b>bold</b> things.",
        published=dt.date(2020, 1, 1),
    )
    (hit,) = search("zebrafish").hits
    for html in (hit.title_html, hit.snippet_html):
        assert "<script" not in html and "<b>" not in html
        assert "<mark>zebrafish</mark>" in html
    assert "&lt;script&gt;" in hit.title_html
    assert "&amp;" in hit.title_html


def test_highlights_over_http_are_escaped(seeded, client):
    Article.objects.create(
        title=f"{SCRIPT} quokka",
        slug="quokka",
        body=f"A quokka {IMG}.",
    )
    page = client.get("/search/", {"q": "quokka"}).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    data = client.get("/api/search/", {"q": "quokka"}).json()
    (hit,) = data["results"]
    assert "<mark>quokka</mark>" in hit["title_html"]
    assert "<script" not in hit["title_html"] and "<img" not in hit["snippet"]


def test_browse_has_plain_escaped_leads(seeded):
    hit = search("").hits[0]
    assert "<mark>" not in hit.snippet_html
    assert hit.snippet_html


# -- engine equivalence ----------------------------------------------------------------------
# Every query of the tables above, answered by this process's engine and by the other one.
EQUIVALENCE = list(dict.fromkeys([t for t, _ in SETS] + [t for t, _ in FIRST] + ENTITY_TOP))
FIRST_RESULT = dict(FIRST)
TOP5 = set(ENTITY_TOP)  # entity-aware ranking: the engines agree on the first five, in order
WORDS_KEY = "words"  # answers to the word table are keyed (WORDS_KEY, row)
# The other engine, when this process runs on SQLite (the Makefile's PostgreSQL leg).
PG_TEST_URL = os.environ.get("PG_TEST_URL") or "postgres://postgres@127.0.0.1:5432/postgres"


class Answer(NamedTuple):
    """What both engines must agree on: how many match, which, and (where the tables assert
    one) which comes first."""

    total: int
    slugs: frozenset[str]
    first: str | None
    top: tuple[str, ...] = ()

    @classmethod
    def of(cls, text: str, total: int, ordered: list[str]) -> "Answer":
        assert total == len(ordered), (text, total, ordered)
        first = ordered[0] if ordered and text in FIRST_RESULT else None
        top = tuple(ordered[:5]) if text in TOP5 else ()
        return cls(total, frozenset(ordered), first, top)


@contextmanager
def _fresh_database(vendor: str):
    """DATABASE_URL of a new, empty database on the other engine than `vendor`; dropped after."""
    if vendor == "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/equivalence.sqlite3"
        return
    import psycopg

    try:
        admin = psycopg.connect(PG_TEST_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL answers at PG_TEST_URL={PG_TEST_URL} to compare with: {exc}")
    # One per process, like the test database, so parallel runs never collide.
    name = f"archive_equivalence_{os.getpid()}"
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(PG_TEST_URL)._replace(path=f"/{name}", query=""))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(database_url: str, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (args, result.stderr[-3000:])
    return result.stdout


@pytest.fixture(scope="session")
def other_engine() -> tuple[str, dict[str, Answer]]:
    """The other engine's answer to every EQUIVALENCE query: one migrate, one seed import."""
    vendor = connection.vendor
    with _fresh_database(vendor) as url:
        _manage(url, "migrate", "--noinput")
        _manage(url, "import_seeds")
        queries = [{"text": text, "page_size": 100} for text in EQUIVALENCE]
        out = json.loads(_manage(url, "search_snapshot", stdin=json.dumps(queries)))
        # Then the word table's articles (tests/test_search_words.py), added to this database.
        words_in = {
            "articles": article_rows(),
            "queries": [{"text": q, "page_size": 200} for q, _, _ in WORDS],
        }
        words_out = json.loads(_manage(url, "search_snapshot", stdin=json.dumps(words_in)))
    other = "sqlite" if vendor == "postgresql" else "postgresql"
    answers = {
        a["query"]["text"]: Answer.of(a["query"]["text"], a["total"], a["slugs"]) for a in out
    }
    answers.update({(WORDS_KEY, i): found_in_row(i, a["slugs"]) for i, a in enumerate(words_out)})
    return other, answers


@pytest.mark.parametrize("text", [pytest.param(t, id=t) for t in EQUIVALENCE])
def test_engine_equivalence(seeded, other_engine, text):
    other, answers = other_engine
    r = search(text, page_size=100)
    ours = Answer.of(text, r.total, slugs(r))
    assert answers[text] == ours, f"{other} differs from {connection.vendor}"


@pytest.mark.parametrize(
    "row", [pytest.param(i, id=f"{q} -> {sorted(e)}") for i, (q, _, e) in enumerate(WORDS)]
)
def test_engine_agrees_on_words(seeded, other_engine, row):
    """The word table, answered by the other engine (its articles in the other database):
    the same articles as the table says, which this engine's own run of the table checks."""
    other, answers = other_engine
    query, _, expected = WORDS[row]
    assert answers[(WORDS_KEY, row)] == expected, f"{other} on {query!r}"


def test_index_follows_edits(seeded):
    a = Article.objects.get(slug=NARA_CBP)
    a.body += "\nA paragraph about narwhals."
    a.save()
    assert result_set("narwhals") == {NARA_CBP}
    a.delete()
    assert result_set("Wickr") == set()


# -- the bounded window: ranking and facets look at the newest WINDOW matches ------------
def test_small_window_bounds_ranking_and_facets_but_not_the_total(seeded, settings):
    settings.SEARCH_WINDOW = 3
    settings.SEARCH_TITLE_WINDOW = 0  # the window alone; older title matches: next test
    r = search("ICE", page_size=2)
    assert r.total == 10 and r.windowed
    # Relevance pages through the window only; the three newest-added articles.
    newest_three = set(Article.objects.order_by("-id").values_list("slug", flat=True)[:3])
    ranked = slugs(r) + slugs(search("ICE", page=2, page_size=2))
    assert set(ranked) == newest_three and r.num_pages == 2
    with pytest.raises(PageOutOfRange):
        search("ICE", page=3, page_size=2)
    # Facet counts cover the window.
    ice = next(f for f in r.facets["agency"] if f.value == "ice")
    assert ice.count == 3


def test_relevance_also_ranks_older_matches_with_the_word_in_their_title(seeded, settings):
    settings.SEARCH_WINDOW = 3
    r = search("ICE", page_size=100)
    newest_three = set(Article.objects.order_by("-id").values_list("slug", flat=True)[:3])
    older_titled = {a.slug for a in Article.objects.order_by("-id")[3:] if "ice" in words(a.title)}
    assert older_titled, "the seed has older articles with ICE in the title"
    assert set(slugs(r)) == newest_three | older_titled
    assert r.num_pages == 1 and r.rankable == len(newest_three | older_titled)


def test_date_sort_pages_through_every_match_beyond_the_window(seeded, settings):
    settings.SEARCH_WINDOW = 3
    seen = []
    for page in (1, 2, 3, 4):
        seen += slugs(search("ICE", sort="newest", page=page, page_size=3))
    assert seen == NEWEST


@pytest.mark.parametrize("window", [1, 2, 5, 9])
def test_window_with_filters_counts_the_newest_filtered_matches(seeded, settings, window):
    settings.SEARCH_WINDOW = window
    ice = Entity.objects.get(slug="ice")
    r = search("data", filters=Filters(entity_ids={"agency": [ice.id]}))
    full = search("data", filters=Filters(entity_ids={"agency": [ice.id]}), page_size=50)
    assert r.total == full.total
    ice_facet = next(f for f in r.facets["agency"] if f.value == "ice")
    assert ice_facet.count == min(window, r.total)


def test_a_renamed_alias_is_recognised_once_the_change_is_recorded(seeded):
    """The compiled names follow the archive's last change, which every save of an alias
    moves (model signals, on commit): a rename is seen, though no count or id changed."""
    from archive import state
    from archive.models import Alias
    from archive.search.entities import acronyms, entities_named

    state.touch()
    assert "ZZQX" not in acronyms()
    alias = Alias.objects.get(name="AWS")
    alias.name = "ZZQX"
    alias.save()
    state.touch()  # what the signal does once the editor's transaction commits
    assert "ZZQX" in acronyms()
    assert [e.slug for e in entities_named("ZZQX")] == ["amazon"]


def test_an_article_deleted_between_two_steps_of_a_search_is_left_out(seeded, monkeypatch):
    """An editor may delete an article while a search runs (on SQLite each statement reads
    its own snapshot): the page lists the rest, it never fails."""
    from archive.search import service

    real = service.page_ids

    def then_deleted(*args, **kwargs):
        ids = real(*args, **kwargs)
        Article.objects.filter(pk=ids[0]).delete()
        return ids

    monkeypatch.setattr(service, "page_ids", then_deleted)
    results = search("ICE")
    assert len(results.hits) == 9
