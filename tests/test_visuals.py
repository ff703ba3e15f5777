"""The relationship map (/map/), the timeline (/timeline/) and an entity's pictures
(archive.visuals.entity_visuals, templates/archive/_entity_visuals.html), as a
specification written from the seed: which entities and relationships the map draws, what
its filters keep, where each line leads, what the timeline counts, and that every picture
stays bounded, deterministic and escaped.

The seed's facts come from tests/spec.py (fixtures/ and the seed text)."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from archive import selectors
from archive.models import Article, Entity, EntityRedirect, Mention, Relationship
from archive.visuals import entity_visuals, graph, queries

from .markup import get_page
from .spec import (
    ARTICLES,
    BIGTECH,
    NARA_CBP,
    RAW_MARKUP,
    RELATIONSHIPS,
    SCRIPT,
    TORRANCE,
    WYDEN,
    article_url,
    entity_url,
    relationship_id,
)

# The seed's catalogue relationships as (subject, kind, object) triples.
ALL_TRIPLES = Counter((r["subject"], r["kind"], r["object"]) for r in RELATIONSHIPS)


def triples(page) -> Counter:
    """The relationships a map page lists in its table, as (subject, kind, object) slugs."""
    out = Counter()
    for row in page.select("table.rel-table tbody tr"):
        subject, _, obj = (row.select(s)[0] for s in ("th a", "td:nth-of-type(1)", "td a"))
        kind = _kind_value(row.select("td")[0].text)
        out[(_slug(subject.attr("href")), kind, _slug(obj.attr("href")))] += 1
    return out


def _slug(href: str) -> str:
    return href.rstrip("/").rsplit("/", 1)[-1]


def _kind_value(label: str) -> str:
    return {lbl: value for value, lbl in Relationship.Kind.choices}[label]


def drawn_edges(page) -> list[str]:
    """The hrefs of the map's edges (the pointer layer over the picture), in order."""
    return [a.attr("href") for a in page.select("svg.graph-links a.edge")]


def drawn_nodes(page) -> set[str]:
    return {a.attr("data-entity") for a in page.select("svg.graph-links a.node")}


def row_of(page, href: str):
    """The table row an edge's #rel-N opens."""
    found = page.select(f"tr#{href.lstrip('#')}")
    assert len(found) == 1, href
    return found[0]


# -- the map: what it draws --------------------------------------------------------------------
def test_the_map_draws_every_sourced_relationship_of_the_seed(client, seeded):
    page = get_page(client, "/map/")
    assert triples(page) == ALL_TRIPLES  # the table: every one, once
    assert len(drawn_edges(page)) == len(RELATIONSHIPS)  # all 48 fit under the caps
    ends = {r["subject"] for r in RELATIONSHIPS} | {r["object"] for r in RELATIONSHIPS}
    assert drawn_nodes(page) == ends
    assert f"{len(ends)} entities, {len(RELATIONSHIPS)} relationships" in page.text
    assert "not drawn" not in page.select("figure.viz-map figcaption")[0].text


# (subject, kind, object, article, what the row says besides the quote's start)
EDGES = [
    ("thomson-reuters", "sells_to", "ice", WYDEN, "$21 million a year"),
    ("corecivic", "contracts_with", "ice", TORRANCE, "ICE’s contractor can’t fill these vacancies"),
    ("cbp", "uses", "wickr", NARA_CBP, "since 2019"),
    ("amazon", "sells_to", "cbp", BIGTECH, "2015–2021; at least 16 times"),
    ("western-union", "supplies", "hsi", WYDEN, "Yes: the sentence names these parties together"),
]


@pytest.mark.parametrize("subject, kind, obj, article, says", EDGES, ids=[e[0] for e in EDGES])
def test_an_edge_opens_its_quote_and_article(client, seeded, subject, kind, obj, article, says):
    rel = Relationship.objects.select_related("article").get(
        subject__slug=subject, kind=kind, object__slug=obj
    )
    page = get_page(client, "/map/")
    assert f"#rel-{rel.pk}" in drawn_edges(page)
    row = row_of(page, f"#rel-{rel.pk}")
    assert rel.quote[:60] in row.text
    assert says in row.text
    paragraph = selectors.paragraph_index(rel.article.body, rel.article.body.find(rel.quote))
    assert row.links_to(f"{article_url(article)}#p-{paragraph}")
    assert row.links_to(entity_url(subject)) and row.links_to(entity_url(obj))


@pytest.mark.parametrize("rel", RELATIONSHIPS, ids=[relationship_id(r) for r in RELATIONSHIPS])
def test_every_edge_links_to_its_row_and_the_row_to_its_article(client, seeded, rel):
    row = Relationship.objects.select_related("article").get(
        subject__slug=rel["subject"],
        kind=rel["kind"],
        object__slug=rel["object"],
        article__slug=rel["article"],
        amount=rel["amount"],
        period=rel["period"],
    )
    page = get_page(client, f"/map/?entity={rel['subject']}")
    edge = page.select(f'svg.graph-links a.edge[data-relationship="{row.pk}"]')
    assert [e.attr("href") for e in edge] == [f"#rel-{row.pk}"]
    tr = row_of(page, f"#rel-{row.pk}")
    body = row.article.body
    assert tr.links_to(
        f"{article_url(rel['article'])}#p-{selectors.paragraph_index(body, body.find(row.quote))}"
    )
    assert ("Yes: the sentence names these parties together" in tr.text) == bool(
        rel.get("collective")
    )


# -- the map's filters -------------------------------------------------------------------------
def _expected(kind=None, entity=None) -> Counter:
    return Counter(
        {
            t: n
            for t, n in ALL_TRIPLES.items()
            if (kind is None or t[1] == kind) and (entity is None or entity in (t[0], t[2]))
        }
    )


FILTERS = [
    # (query, the relationships kept), written from the seed's sentences
    (
        "kind=contracts_with",
        {("trust-stamp", "contracts_with", "ice"), ("corecivic", "contracts_with", "ice")},
    ),
    (
        "kind=contracts_with&entity=ice",
        {("trust-stamp", "contracts_with", "ice"), ("corecivic", "contracts_with", "ice")},
    ),
    ("entity=wickr", {("amazon", "owns", "wickr"), ("cbp", "uses", "wickr")}),
    (
        "entity=clear",
        {
            ("thomson-reuters", "operates", "clear"),
            ("ice", "uses", "clear"),
            ("equifax", "supplies", "clear"),
        },
    ),
    (
        "kind=resells_for&entity=google",
        {
            ("panamerica-computers", "resells_for", "google"),
            ("four-points-technology", "resells_for", "google"),
            ("systems-engineering-solutions", "resells_for", "google"),
        },
    ),
    ("kind=settled_with", {("western-union", "settled_with", "arizona-attorney-general")}),
    ("kind=part_of&entity=dhs", {("dhs-oig", "part_of", "dhs")}),
    ("kind=owns&entity=ice", set()),
]


@pytest.mark.parametrize("query, kept", FILTERS, ids=[f[0] for f in FILTERS])
def test_filters_narrow_the_map_and_its_table(client, seeded, query, kept):
    page = get_page(client, f"/map/?{query}")
    assert set(triples(page)) == kept
    params = dict(p.split("=") for p in query.split("&"))
    assert triples(page) == _expected(params.get("kind"), params.get("entity"))
    assert len(drawn_edges(page)) == sum(triples(page).values())
    if kept:
        ends = {s for s, _, _ in kept} | {o for _, _, o in kept}
        assert drawn_nodes(page) == ends
        if "entity" in params:  # the entity's neighbourhood, the entity in the middle
            centre = page.select("svg.graph g.node.centre")
            assert len(centre) == 1
    else:
        assert "No relationship matches these filters." in page.text
    # The form shows what is chosen.
    if "kind" in params:
        chosen = page.select(f'#map-kind option[value="{params["kind"]}"]')
        assert chosen and chosen[0].tag.has_attr("selected")
    if "entity" in params:
        chosen = page.select(f'#map-entity option[value="{params["entity"]}"]')
        assert chosen and chosen[0].tag.has_attr("selected")


@pytest.mark.parametrize("kind", sorted({r["kind"] for r in RELATIONSHIPS}))
def test_each_kind_keeps_exactly_its_relationships(client, seeded, kind):
    assert triples(get_page(client, f"/map/?kind={kind}")) == _expected(kind)


@pytest.mark.parametrize(
    "url, status",
    [
        ("/map/?kind=bribes", 400),
        ("/map/?entity=no-such-entity", 404),
        ("/map/?kind=uses&entity=no-such-entity", 404),
    ],
)
def test_a_filter_that_names_nothing_says_so(client, seeded, url, status):
    response = client.get(url)
    assert response.status_code == status


def test_a_merged_entity_s_map_moves_to_the_entity_it_became(client, seeded):
    EntityRedirect.objects.create(old_slug="old-ice", entity=Entity.objects.get(slug="ice"))
    response = client.get("/map/?entity=old-ice&kind=uses")
    assert response.status_code == 301
    assert response["Location"] == "/map/?entity=ice&kind=uses"


# -- the map's limits: what is not drawn is still reached --------------------------------------
def test_rows_are_the_drawn_edges_and_the_undrawn_ones(client, seeded, monkeypatch):
    monkeypatch.setattr(graph, "MAP_NODES", 5)
    page = get_page(client, "/map/")
    drawn = drawn_edges(page)
    rows = [tr.attr("id") for tr in page.select("table.rel-table tbody tr")]
    assert len(drawn_nodes(page)) == 5
    assert 0 < len(drawn) < len(RELATIONSHIPS)
    assert {h.lstrip("#") for h in drawn} <= set(rows)  # every edge drawn has its row
    assert len(rows) == len(RELATIONSHIPS)  # drawn + not drawn: every one
    ends = {r["subject"] for r in RELATIONSHIPS} | {r["object"] for r in RELATIONSHIPS}
    note = page.select("figure.viz-map figcaption .map-note")[0].text
    assert f"the 5 most connected of {len(ends)} entities" in note
    assert (
        f"Not drawn: {len(ends) - 5} entities and {len(RELATIONSHIPS) - len(drawn)} relationships"
        in note
    )
    # The most connected are drawn: ICE (17 relationships) first.
    assert "ice" in drawn_nodes(page)


def test_the_table_is_capped_and_says_how_many_it_leaves_out(client, seeded, monkeypatch):
    monkeypatch.setattr(graph, "MAP_EDGES", 3)
    monkeypatch.setattr(graph, "TABLE_ROWS", 10)
    page = get_page(client, "/map/")
    drawn = drawn_edges(page)
    rows = [tr.attr("id") for tr in page.select("table.rel-table tbody tr")]
    assert len(drawn) == 3 and len(rows) == 10
    assert {h.lstrip("#") for h in drawn} <= set(rows)
    assert f"{len(RELATIONSHIPS) - 10} more relationships are not listed" in page.text
    assert page.links_to("/exports/relationships.csv")


# -- the map's picture -------------------------------------------------------------------------
def test_the_picture_is_named_and_its_links_are_for_pointers(client, seeded):
    page = get_page(client, "/map/")
    (svg,) = page.select("svg.graph")
    assert svg.attr("role") == "img"
    title_id, desc_id = svg.attr("aria-labelledby").split()
    assert page.select(f"svg.graph title#{title_id}")[0].text == "Map of sourced relationships"
    desc = page.select(f"svg.graph desc#{desc_id}")[0].text
    assert desc.startswith(f"34 entities and {len(RELATIONSHIPS)} relationships drawn.")
    assert not svg.select("a")  # an image holds no link; the layer over it does
    (layer,) = page.select("svg.graph-links")
    assert layer.attr("aria-hidden") == "true"
    assert {a.attr("tabindex") for a in layer.select("a")} == {"-1"}
    # Colours come from the theme (classes), never fixed in the markup.
    assert "fill=" not in str(svg.tag).replace('fill="none"', "")
    assert "style=" not in str(svg.tag)


def test_nodes_link_to_entity_pages(client, seeded):
    page = get_page(client, "/map/?entity=ice")
    for a in page.select("svg.graph-links a.node"):
        assert a.attr("href") == entity_url(a.attr("data-entity"))


def test_the_layout_is_deterministic(client, seeded):
    first = client.get("/map/").content
    assert client.get("/map/").content == first
    m1 = graph.relationship_map(None, None, None)
    m2 = graph.relationship_map(None, None, None)
    assert [(n.entity.slug, n.x, n.y) for n in m1.graph.nodes] == [
        (n.entity.slug, n.x, n.y) for n in m2.graph.nodes
    ]
    # Grouped by kind around the ring: agencies, then programs, contractors, organisations.
    kinds = [n.entity.kind for n in m1.graph.nodes]
    order = ["agency", "program", "contractor", "organization"]
    assert kinds == sorted(kinds, key=order.index)


# -- the timeline ------------------------------------------------------------------------------
# Articles per month, written from the seed's dates (fixtures/articles.json).
MONTHS = {
    "2021-08": 1,  # the deported filmmaker
    "2021-10": 1,  # Google, Amazon, Microsoft
    "2021-12": 2,  # the body-camera pilot, the utility records
    "2022-01": 1,  # HSI asks to be separated
    "2022-03": 1,  # Torrance
    "2022-04": 1,  # NARA and Wickr
    "2022-05": 2,  # the facial-recognition leak, the surveillance report
}


def test_the_month_table_counts_the_seed_articles_dates(client, seeded):
    from_fixtures = Counter(a["published"][:7] for a in ARTICLES if a["published"])
    assert from_fixtures == MONTHS
    page = get_page(client, "/timeline/")
    rows = {
        tr.attr("id").removeprefix("month-"): int(tr.select("td")[0].text)
        for tr in page.select("#months table tbody tr")
    }
    assert rows == MONTHS
    # Each month opens its articles: a search between its first and last day.
    may = page.select("tr#month-2022-05 a")[0].attr("href")
    assert "published_after=2022-05-01" in may and "published_before=2022-05-31" in may


def test_the_chart_has_a_bar_per_month_with_none_left_out(client, seeded):
    page = get_page(client, "/timeline/")
    (svg,) = page.select("#months svg.bars")
    assert svg.attr("role") == "img"
    # August 2021 to May 2022: ten months, seven of them with articles (a bar each).
    assert len(svg.select("g.series rect")) == len(MONTHS)
    desc = svg.select("desc")[0].text
    assert desc.startswith("9 articles in 10 bars, from August 2021 to May 2022")
    heights = [float(r.attr("height")) for r in svg.select("g.series rect")]
    assert heights.count(max(heights)) == 2  # December 2021 and May 2022, two each


def test_undated_articles_are_counted_apart_never_dated(client, seeded):
    page = get_page(client, "/timeline/")
    assert "9 articles with a known date, and 1 article with no known date" in page.text
    assert page.select("tr#year-unknown td")[0].text == "1"
    years = {tr.attr("id"): tr.select("td")[0].text for tr in page.select("#years tbody tr")}
    assert years == {"year-2021": "4", "year-2022": "5", "year-unknown": "1"}


def test_rising_and_falling_compare_the_latest_year_with_the_one_before(client, seeded):
    page = get_page(client, "/timeline/")
    compared = page.select("#changes p.compared")[0].text
    assert "published in 2022" in compared and "published in 2021" in compared
    assert "Articles with no known date are not counted" in compared

    def table(id_):
        return [
            (tr.attr("data-entity"), *(int(td.text) for td in tr.select("td")))
            for tr in page.select(f"#{id_} tbody tr")
        ]

    rises, falls = table("rises"), table("falls")
    # (entity, 2021, 2022, change): Congress in three 2022 articles and none of 2021's; ICE
    # in all five of 2022's and four of 2021's (the undated Wyden article is left out).
    assert rises[:2] == [("congress", 0, 3, 3), ("ice", 4, 5, 1)]
    # CLEAR: the utility records (December 2021) and the undated Wyden article, none of 2022.
    assert ("clear", 1, 0, -1) in falls
    named = {r[0] for r in rises + falls}
    assert "cbp" not in named and "hsi" not in named  # one article in each year
    assert all(r[3] == r[2] - r[1] for r in rises + falls)
    assert [r[3] for r in rises] == sorted((r[3] for r in rises), reverse=True)
    assert [r[3] for r in falls] == sorted(r[3] for r in falls)
    # Among equal changes, by name: the 18 entities named in one 2021 article and no 2022
    # one (the seed's 2021 articles name many that its 2022 ones do not) are cut to ten.
    names = Entity.objects.in_bulk([r[0] for r in falls], field_name="slug")
    assert len(falls) == queries.CHANGES_SHOWN
    assert [names[r[0]].name.casefold() for r in falls] == sorted(
        names[r[0]].name.casefold() for r in falls
    )


def test_an_archive_with_no_dated_article_has_no_timeline_chart(client, seeded):
    Article.objects.update(published=None)
    page = get_page(client, "/timeline/")
    assert "No article has a known date yet." in page.text
    assert "10 articles with no known date" in page.text
    assert not page.select("svg")


# -- an entity's pictures ----------------------------------------------------------------------
# Articles naming each entity by year, from the seed (None: the undated Wyden article).
ENTITY_YEARS = {
    "ice": {2021: 4, 2022: 5, None: 1},
    "clear": {2021: 1, None: 1},
    "wickr": {2022: 1},
    "thomson-reuters": {2021: 1, None: 1},
    "cbp": {2021: 1, 2022: 1},
}


@pytest.mark.parametrize("slug, years", ENTITY_YEARS.items(), ids=ENTITY_YEARS.keys())
def test_an_entity_s_chart_counts_its_articles_by_year(seeded, slug, years):
    entity = Entity.objects.get(slug=slug)
    visuals = entity_visuals(entity, None)["visuals"]
    dated = {y: n for y, n in years.items() if y is not None}
    assert {y.year: y.count for y in visuals.years} == dated
    assert visuals.undated == years.get(None, 0)
    first, last = min(dated), max(dated)
    assert [b.label for b in visuals.chart.bars] == [str(y) for y in range(first, last + 1)]
    assert [b.count for b in visuals.chart.bars] == [
        dated.get(y, 0) for y in range(first, last + 1)
    ]
    html = get_page_html(visuals)
    if years.get(None):
        assert f"{years[None]} article with no known date also names it" in html.text
    for year, n in dated.items():
        (row,) = [
            tr for tr in html.select("table tbody tr") if tr.select("th")[0].text == str(year)
        ]
        assert row.select("td")[0].text == str(n)
        assert row.links_to(f"?year={year}#articles")


def get_page_html(visuals):
    from .markup import Page

    return Page(render_to_string("archive/_entity_visuals.html", {"visuals": visuals}))


def test_an_entity_s_neighbourhood_is_its_direct_relationships(seeded):
    entity = Entity.objects.get(slug="wickr")
    html = get_page_html(entity_visuals(entity, None)["visuals"])
    layer = html.select("svg.graph-links")[0]
    assert {a.attr("data-entity") for a in layer.select("a.node")} == {"wickr", "amazon", "cbp"}
    # Each line opens the paragraph its quote is in; the whole map is one link away.
    for rel in Relationship.objects.filter(object=entity):
        assert layer.hrefs_starting(f"/articles/{rel.article.slug}/#p-")
    assert html.links_to("/map/?entity=wickr")
    (svg,) = html.select("svg.graph")
    assert svg.attr("role") == "img" and svg.attr("aria-labelledby")


def test_the_neighbourhood_opens_the_paragraph_of_each_quote(client, seeded):
    """Every line of ICE's small map opens the article paragraph that holds its quote
    (not a row of the map's table, which lists only its first rows for a big entity)."""
    visuals = entity_visuals(Entity.objects.get(slug="ice"), None)["visuals"]
    assert visuals.graph.edges
    for edge in visuals.graph.edges:
        rel = edge.relationship
        path, _, anchor = edge.href.partition("#")
        assert path == f"/articles/{rel.article.slug}/"
        paragraph = rel.article.body.split("\n")[int(anchor.removeprefix("p-")) - 1]
        assert " ".join(rel.quote.split()[:6]) in " ".join(paragraph.split())


def test_an_entity_with_no_relationship_has_no_map(seeded):
    entity = Entity.objects.get(slug="wickr")
    Relationship.objects.filter(object=entity).delete()
    visuals = entity_visuals(entity, None)["visuals"]
    assert visuals.graph is None and visuals.chart is not None


def test_entity_visuals_reuses_the_page_s_summary(seeded, django_assert_num_queries):
    entity = Entity.objects.get(slug="ice")
    summary = selectors.entity_summary(entity, None)
    with CaptureQueriesContext(connection) as without:
        entity_visuals(entity, None)
    with CaptureQueriesContext(connection) as given:
        entity_visuals(entity, None, summary=summary)
    assert len(given) < len(without)


# -- bounded whatever the archive's size -------------------------------------------------------
def _grow(n: int, offset: int, quote: str = "A sentence that says so.") -> None:
    """n more articles, dated one a week back from 2023 (every tenth undated), each naming ICE
    and stating a relationship between two catalogue entities."""
    slugs = sorted(Entity.objects.values_list("slug", flat=True))
    ids = dict(Entity.objects.values_list("slug", "pk"))
    kinds = Relationship.Kind.values
    articles = Article.objects.bulk_create(
        Article(
            title=f"Bulk article {offset + i}",
            slug=f"bulk-{offset + i}",
            body=f"ICE said so.\n{quote}",
            publication="Bulk Wire",
            published=None
            if (offset + i) % 10 == 0
            else dt.date(2023, 1, 1) - dt.timedelta(weeks=offset + i),
        )
        for i in range(n)
    )
    Mention.objects.bulk_create(
        Mention(article=a, entity_id=ids["ice"], count=1, spans=[[0, 3]]) for a in articles
    )
    Relationship.objects.bulk_create(
        Relationship(
            subject_id=ids["ice"] if i % 2 else ids[slugs[i % len(slugs)]],
            object_id=ids[slugs[(i * 7 + 3) % len(slugs)]],
            kind=kinds[i % len(kinds)],
            article=a,
            quote=quote,
        )
        for i, a in enumerate(articles)
    )


BOUNDED = [
    "/map/",
    "/map/?entity=ice",
    "/map/?kind=uses",
    "/map/?kind=uses&entity=ice",
    "/timeline/",
]


def _queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx), len(response.content)


@pytest.mark.parametrize("url", BOUNDED)
def test_the_same_queries_with_30_or_300_more_articles(client, seeded, url):
    _grow(30, 0)
    small, _ = _queries(client, url)
    _grow(270, 30)
    large, size = _queries(client, url)
    assert small == large <= 12, url
    assert size < 160 * 1024


def test_the_entity_pictures_make_the_same_queries_at_any_size(seeded):
    ice = Entity.objects.get(slug="ice")
    _grow(30, 0)
    with CaptureQueriesContext(connection) as small:
        entity_visuals(ice, None)
    _grow(270, 30)
    with CaptureQueriesContext(connection) as large:
        visuals = entity_visuals(ice, None)["visuals"]
    assert len(small) == len(large)
    assert len(visuals.graph.nodes) <= 13 and len(visuals.graph.edges) <= graph.LABELLED_EDGES * 2


def test_a_large_map_is_drawn_within_its_caps(client, seeded):
    long_quote = "A very long quote. " * 200  # 3,800 characters: the table shows 500
    _grow(300, 0, quote=long_quote)
    page = get_page(client, "/map/")
    assert len(drawn_nodes(page)) <= graph.MAP_NODES
    assert len(drawn_edges(page)) <= graph.MAP_EDGES
    rows = page.select("table.rel-table tbody tr")
    assert len(rows) == graph.TABLE_ROWS
    total = len(RELATIONSHIPS) + 300
    assert f"{total - graph.TABLE_ROWS} more relationships are not listed" in page.text
    longest = max(len(q.text) for q in page.select("table.rel-table td.quote q"))
    assert longest <= queries.QUOTE_CHARS + 1
    assert len(client.get("/map/").content) < 160 * 1024


def test_the_timeline_chart_shows_at_most_ten_years_of_months(client, seeded):
    _grow(300, 0)  # weekly from 2023 back to 2017, and the seed's 2021-2022
    Article.objects.filter(slug="bulk-1").update(published=dt.date(1990, 6, 1))
    page = get_page(client, "/timeline/")
    bars = page.select("#months svg.bars g.series rect")
    assert 0 < len(bars) <= 120
    assert "1 older article, before " in page.text  # 1990, in the table by year only
    assert page.select("tr#year-1990 td")[0].text == "1"


# -- escaping ----------------------------------------------------------------------------------
@pytest.fixture
def hostile_names(seeded):
    """Wickr renamed to markup, its relationship quoting markup, in an article titled so."""
    wickr = Entity.objects.get(slug="wickr")
    wickr.name = f"Wickr {SCRIPT}"
    wickr.acronym = ""
    wickr.save()
    rel = Relationship.objects.get(subject__slug="cbp", object=wickr)
    rel.quote = f"They used it {SCRIPT}."
    rel.period = f"since {SCRIPT}"
    rel.save()
    Article.objects.filter(pk=rel.article_id).update(title=f"Title {SCRIPT}")
    return wickr


@pytest.mark.parametrize("url", ["/map/", "/map/?entity=wickr", "/map/?kind=uses", "/timeline/"])
def test_names_and_quotes_are_escaped(client, hostile_names, url):
    html = client.get(url).content.decode()
    for raw in RAW_MARKUP:
        assert raw not in html
    if "map" in url:
        assert "Wickr &lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "They used it &lt;script&gt;" in html


def test_the_entity_pictures_escape_names(hostile_names):
    html = render_to_string("archive/_entity_visuals.html", entity_visuals(hostile_names, None))
    assert "<script>alert" not in html
    assert re.search(r"Wickr &lt;script&gt;", html)


# -- public pages like the others ---------------------------------------------------------------
@pytest.mark.parametrize("url", ["/map/", "/map/?entity=ice&kind=uses", "/timeline/"])
def test_public_pages_answer_reads_only_and_may_be_cached(client, seeded, url):
    get = client.get(url)
    assert get.status_code == 200
    assert get["ETag"] and "public" in get["Cache-Control"]
    assert client.get(url, HTTP_IF_NONE_MATCH=get["ETag"]).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert client.post(url).status_code == 405
