"""The entity indexes (/agencies/, /contractors/, /programs/, /organizations/): each row says
what the entity is (its description's first sourced sentence), what it belongs to or where
it stands (an agency's parent, a program's status), every other name it goes by, how many
articles name it and when the first and the latest of them were published; the list sorts
by any of those, and costs the same few queries at any size.

Expected values are written from the seed (fixtures/articles.json dates, the catalogue).
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive import selectors
from archive.models import (
    Agency,
    Alias,
    Article,
    Entity,
    EntityKind,
    Mention,
    Program,
    ProgramStatus,
)
from archive.views.pages import INDEX_PAGE_SIZE

from .markup import get_page
from .spec import (
    CURRENT_STATUS,
    ENTITIES,
    ENTITY_BY_SLUG,
    PLURAL,
    RAW_MARKUP,
    entity_url,
)

STATUS_LABEL = {"active": "Active", "ended": "Ended", "proposed": "Proposed"}


def rows_of(page) -> list:
    return page.select("table.entity-index tbody tr")


def row_for(page, slug: str):
    """The entity's own row: the one whose heading links to it (a child agency's row links
    its parent too)."""
    [row] = [r for r in rows_of(page) if r.one("th").links_to(entity_url(slug))]
    return row


def slug_of(row) -> str:
    return row.one("th a").attr("href").rstrip("/").rsplit("/", 1)[1]


def date_of(row, css: str) -> str | None:
    cell = row.one(css)
    return cell.one("time").attr("datetime") if cell.has("time") else None


# -- what each row says ------------------------------------------------------------------
# (slug, parent's slug, status, also called, articles, first named, last named).
# Dates: the seed's articles run from 31 Aug 2021 (the deportation story) to 27 May 2022
# (Trust Stamp's leak); the Wyden article has no date, so an entity it alone names has none.
ROWS = [
    (
        "ice",
        "dhs",
        None,
        [
            "ICE",
            "Immigration & Customs Enforcement",
            "Immigration and Customs and Enforcement",
            "Immigration and Customs Enforcement",
        ],
        10,
        "2021-08-31",
        "2022-05-27",
    ),
    ("hsi", "ice", None, ["HSI"], 3, "2021-12-30", "2022-01-01"),  # Wyden, bodycam, split
    (
        "dhs",
        None,
        None,
        ["DHS", "Department of Homeland Security", "Homeland Security Department"],
        3,
        "2021-12-30",
        "2022-01-01",
    ),
    ("arizona-attorney-general", None, None, [], 1, None, None),  # only the undated Wyden
    ("thomson-reuters", None, None, ["Reuters"], 2, "2021-12-13", "2021-12-13"),
    (
        "amazon",
        None,
        None,
        ["Amazon Web Services", "Amazon.com", "AWS"],
        2,
        "2021-10-09",
        "2022-04-14",
    ),
    ("microsoft", None, None, ["MSFT"], 1, "2021-10-09", "2021-10-09"),
    ("clear", None, "Active", [], 2, "2021-12-13", "2021-12-13"),  # its acronym is its name
    ("raven", None, "Proposed", ["RAVEn"], 1, "2021-10-09", "2021-10-09"),
    ("hsi-money-transfer-summonses", None, "Ended", None, 1, None, None),  # active, then ended 2022
    ("doj-body-camera-grant-program", None, "Ended", None, 1, "2021-12-30", "2021-12-30"),
    ("wickr", None, "—", [], 1, "2022-04-14", "2022-04-14"),  # no status history
    ("crew", None, None, ["CREW"], 1, "2022-04-14", "2022-04-14"),
    (
        "supreme-court",
        None,
        None,
        [
            "SCOTUS",
            "Supreme Court",
            "Supreme Court of the United States",
            "United States Supreme Court",
        ],
        2,
        "2021-08-31",
        "2022-05-20",
    ),
]


@pytest.mark.parametrize("slug, parent, status, aliases, articles, first, last", ROWS)
def test_a_row_says_what_the_entity_is(
    client, seeded, slug, parent, status, aliases, articles, first, last
):
    kind = ENTITY_BY_SLUG[slug]["kind"]
    row = row_for(get_page(client, f"/{PLURAL[kind]}/"), slug)
    assert row.one("th").text == ENTITY_BY_SLUG[slug]["name"]
    if kind == "agency":
        cell = row.one("td.parent")
        assert cell.hrefs == ([entity_url(parent)] if parent else [])
        assert cell.text == (ENTITY_BY_SLUG[parent]["acronym"] if parent else "—")
    else:
        assert not row.has("td.parent")
    if kind == "program":
        assert row.one("td.program-status").text == status
    else:
        assert not row.has("td.program-status")
    if aliases is not None:
        assert row.texts("td.aliases .alias") == aliases
        assert row.one("td.aliases").text == (", ".join(aliases) or "—")
    assert row.one("td.num").text == str(articles)
    assert (date_of(row, "td.first"), date_of(row, "td.last")) == (first, last)


@pytest.mark.parametrize("slug", [e["slug"] for e in ENTITIES])
def test_every_row_has_its_first_sourced_sentence_and_every_other_name(client, seeded, slug):
    """Written from the catalogue: the first sentence of the description as sourced, and
    every alias and acronym besides the name, the acronym first."""
    fixture = ENTITY_BY_SLUG[slug]
    row = row_for(get_page(client, f"/{PLURAL[fixture['kind']]}/"), slug)
    first = fixture["description_sources"][0]["text"]
    summary = row.one("td.summary").text
    if len(first) <= selectors.INDEX_SUMMARY_CHARS:
        assert summary == first
    else:  # cut at a word, within the limit
        assert summary.endswith("…") and len(summary) <= selectors.INDEX_SUMMARY_CHARS
        assert first.startswith(summary[:-1]) and first[len(summary) - 1] in " ,;:"
    acronym = fixture.get("acronym", "")
    others = {*fixture.get("aliases", []), *fixture.get("acronym_aliases", []), acronym}
    shown = row.texts("td.aliases .alias")
    assert set(shown) == others - {"", fixture["name"]}
    if acronym and acronym != fixture["name"]:
        assert shown[0] == acronym


@pytest.mark.parametrize("slug, status", sorted(CURRENT_STATUS.items()))
def test_a_program_shows_the_status_its_history_gives(client, seeded, slug, status):
    row = row_for(get_page(client, "/programs/"), slug)
    assert row.one("td.program-status").text == STATUS_LABEL[status]


def test_an_edited_description_gives_its_own_first_sentence(client, seeded):
    """An editor's rewording: its sources no longer say it, so its own first sentence."""
    entity = Entity.objects.get(slug="thomson-reuters")
    entity.description = "A data broker. It sells CLEAR."
    entity.save()
    row = row_for(get_page(client, "/contractors/"), "thomson-reuters")
    assert row.one("td.summary").text == "A data broker."


def test_a_long_first_sentence_is_cut_at_a_word(client, seeded):
    entity = Entity.objects.get(slug="equifax")
    entity.description = "word " * 100 + "end."
    entity.save()
    summary = row_for(get_page(client, "/contractors/"), "equifax").one("td.summary").text
    assert summary == ("word " * 31).strip() + "…"
    assert len(summary) <= selectors.INDEX_SUMMARY_CHARS


def test_markup_in_names_and_descriptions_is_text(client, hostile):
    entity = Entity.objects.get(slug="thomson-reuters")
    entity.description = "<script>alert(1)</script> sells data."
    entity.save()
    Alias.objects.create(entity=entity, name="<b>bold</b>")
    for url in ("/programs/", "/contractors/"):
        html = client.get(url).content.decode()
        for raw in RAW_MARKUP:
            assert raw not in html, (url, raw)
    assert "&lt;b&gt;bold&lt;/b&gt;" in client.get("/contractors/").content.decode()


# -- sorting -----------------------------------------------------------------------------
# (index, ?sort=, the slugs it starts with). Ties go by name.
ORDERS = [
    # ICE in all ten articles; HSI and DHS in three each.
    ("agencies", "-articles", ["ice", "hsi", "dhs", "cbp"]),
    ("agencies", "articles", ["arizona-attorney-general", "atf", "cfpb"]),  # one each
    ("agencies", "name", ["arizona-attorney-general", "atf", "cfpb", "dhs-oig", "hsi"]),
    ("agencies", "-name", ["sec", "ice", "gao", "doj", "dhs", "cbp"]),  # U.S. S…, U.S. I…
    # 31 Aug 2021 (deportation), 9 Oct 2021 (big tech), 13 Dec 2021 (utility records).
    ("agencies", "first", ["ice", "cbp", "cfpb"]),
    # 27 May 2022 (Trust Stamp), then 20 May 2022 (the surveillance report).
    ("agencies", "-first", ["sec", "nsa", "dmv", "gao"]),
    ("agencies", "last", ["cfpb", "atf", "doj", "hsi"]),
    ("agencies", "-last", ["ice", "sec", "nsa", "dmv", "gao"]),
    ("contractors", "-articles", ["amazon", "thomson-reuters"]),
    ("contractors", "-last", ["trust-stamp", "apple", "amazon"]),
    ("programs", "first", ["raven", "clear"]),
    ("programs", "-first", ["dmv-face-recognition", "whatsapp", "wickr"]),
    ("organizations", "-articles", ["congress", "insider", "supreme-court"]),
    ("organizations", "-last", ["insider", "congress"]),
]


@pytest.mark.parametrize("plural, sort, starts", ORDERS)
def test_sorting(client, seeded, plural, sort, starts):
    slugs = [slug_of(r) for r in rows_of(get_page(client, f"/{plural}/?sort={sort}"))]
    assert slugs[: len(starts)] == starts


@pytest.mark.parametrize("sort", ["first", "-first", "last", "-last"])
def test_entities_without_a_dated_article_come_last_either_way(client, seeded, sort):
    rows = rows_of(get_page(client, f"/agencies/?sort={sort}"))
    assert slug_of(rows[-1]) == "arizona-attorney-general"


def _sort_key(row, sort):
    name = row.one("th").text.casefold()
    count = int(row.one("td.num").text)
    column = sort.lstrip("-")
    if column == "name":
        return name
    if column == "articles":
        return count
    when = date_of(row, f"td.{column}")
    return when or ""


@pytest.mark.parametrize("plural", PLURAL.values())
@pytest.mark.parametrize("sort", selectors.INDEX_SORTS)
def test_every_order_is_what_its_column_says(client, seeded, plural, sort):
    rows = rows_of(get_page(client, f"/{plural}/?sort={sort}"))
    keys = [_sort_key(r, sort) for r in rows]
    if sort.lstrip("-") in ("first", "last"):
        dated = [k for k in keys if k]
        assert keys == dated + [""] * (len(keys) - len(dated))  # undated last
        keys = dated
    assert keys == sorted(keys, reverse=sort.startswith("-"))


# (?sort=, the sorted column and its aria-sort, each header's link).
HEADERS = [
    (
        "",
        ("Articles", "descending"),
        {
            "Name": "?sort=name",
            "Articles": "?sort=articles",
            "First named": "?sort=first",
            "Last named": "?sort=-last",
        },
    ),
    ("name", ("Name", "ascending"), {"Name": "?sort=-name", "Articles": "?sort=-articles"}),
    ("-name", ("Name", "descending"), {"Name": "?sort=name"}),
    ("articles", ("Articles", "ascending"), {"Articles": "?sort=-articles"}),
    (
        "first",
        ("First named", "ascending"),
        {"First named": "?sort=-first", "Last named": "?sort=-last"},
    ),
    (
        "-last",
        ("Last named", "descending"),
        {"Last named": "?sort=last", "First named": "?sort=first"},
    ),
]


@pytest.mark.parametrize("sort, sorted_by, links", HEADERS)
def test_headers_link_to_each_order_and_say_which_is_used(client, seeded, sort, sorted_by, links):
    page = get_page(client, f"/contractors/?sort={sort}")
    headers = page.select("table.entity-index thead th")
    assert [(h.text, h.attr("aria-sort")) for h in headers if h.attr("aria-sort")] == [sorted_by]
    hrefs = {h.text: h.hrefs for h in headers}
    for label, href in links.items():
        assert hrefs[label] == [href]
    assert hrefs["About"] == hrefs["Also called"] == []  # not sortable


@pytest.mark.parametrize(
    "query",
    [
        "sort=bogus",
        "sort=",
        "sort=-",
        "sort=NAME",
        "sort=name%20",
        "sort=--articles",
        "sort=" + "x" * 2000,
        "sort=name%00",
        "sort=%27%3B--",
        "sort=name&sort=bogus",  # the last one counts, as everywhere in Django
    ],
)
def test_an_unknown_order_is_the_default(client, seeded, query):
    default = [slug_of(r) for r in rows_of(get_page(client, "/agencies/"))]
    page = get_page(client, f"/agencies/?{query}")
    assert [slug_of(r) for r in rows_of(page)] == default
    [sorted_th] = [h for h in page.select("thead th") if h.attr("aria-sort")]
    assert (sorted_th.text, sorted_th.attr("aria-sort")) == ("Articles", "descending")


# -- a large archive: pages, and the same queries ----------------------------------------
def _grow(kind: EntityKind, entities: int, articles: int) -> None:
    """`entities` more entities of `kind`, each with two aliases (and a parent or a status
    history), and `articles` more articles, each naming three of them and ICE."""
    ice = Entity.objects.get(slug="ice")
    base = Entity.objects.count()
    made = Entity.objects.bulk_create(
        [
            Entity(kind=kind, name=f"Bulk {kind.label} {base + i:05}", slug=f"bulk-{kind}-{i}")
            for i in range(entities)
        ]
    )
    if kind == EntityKind.AGENCY:  # the kind's own rows (bulk_create refuses child models)
        for e in made:
            Agency(entity_ptr=e, parent_id=ice.pk, **_fields(e)).save_base(raw=True)
    if kind == EntityKind.PROGRAM:
        for e in made:
            Program(entity_ptr=e, status="active", **_fields(e)).save_base(raw=True)
    Alias.objects.bulk_create(
        [Alias(entity=e, name=f"{e.name} {suffix}") for e in made for suffix in ("Inc.", "Co")]
    )
    created = Article.objects.bulk_create(
        [
            Article(
                title=f"Bulk index article {i}",
                slug=f"bulk-index-{i}",
                body=f"Article {i} names ICE.",
                published=dt.date(2010 + i % 12, 1 + i % 12, 1 + i % 28) if i % 7 else None,
                source_url=f"https://example.org/bulk-index/{i}",
            )
            for i in range(articles)
        ]
    )
    Mention.objects.bulk_create(
        [
            Mention(article=a, entity_id=entity_id, count=1, spans=[])
            for i, a in enumerate(created)
            for entity_id in {ice.pk, *(made[(i * 7 + k) % len(made)].pk for k in range(3))}
        ]
    )
    if kind == EntityKind.PROGRAM:
        ProgramStatus.objects.bulk_create(
            [
                ProgramStatus(
                    program_id=e.pk, status="ended", year=2020, article=created[0], quote="x"
                )
                for e in made
            ]
        )


def _fields(entity: Entity) -> dict:
    return {f.attname: getattr(entity, f.attname) for f in Entity._meta.concrete_fields}


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# Queries for one index page (the tests run without a cache, so every figure is the cold
# one): the archive's last change, the counts and dates of every entity, the entities (with
# their parents), their aliases, and for programs their status histories.
BOUNDS = {"agencies": 4, "contractors": 4, "organizations": 4, "programs": 5}


@pytest.mark.parametrize("kind", list(EntityKind), ids=lambda k: k.plural)
@pytest.mark.parametrize("sort", ["", "name", "-last"])
def test_an_index_costs_the_same_queries_at_any_size(
    client, seeded, django_assert_max_num_queries, kind, sort
):
    urls = [f"/{kind.plural}/?sort={sort}", f"/{kind.plural}/?sort={sort}&page=3"]
    with django_assert_max_num_queries(BOUNDS[kind.plural]):
        get_page(client, urls[0])
    few = _queries(client, urls[0])
    _grow(kind, entities=3 * INDEX_PAGE_SIZE, articles=600)
    assert [_queries(client, url) for url in urls] == [few, few]
    page = get_page(client, urls[1])
    assert len(rows_of(page)) >= 1
    assert "Page 3 of 4" in page.text


def test_pages_keep_the_order_and_a_new_order_starts_at_page_one(client, seeded):
    _grow(EntityKind.CONTRACTOR, entities=2 * INDEX_PAGE_SIZE, articles=10)
    page = get_page(client, "/contractors/?sort=name&page=2")
    assert len(rows_of(page)) == INDEX_PAGE_SIZE
    assert page.one("nav.pager a[rel=prev]").attr("href") == "?sort=name&page=1"
    assert page.one("nav.pager a[rel=next]").attr("href") == "?sort=name&page=3"
    headers = {h.text: h.hrefs for h in page.select("thead th")}
    assert headers["Name"] == ["?sort=-name"]  # no page: a new order starts at its top
    names = [r.one("th").text for r in rows_of(page)]
    assert names == sorted(names, key=str.casefold)
    get_page(client, "/contractors/?sort=name&page=9", status=404)
