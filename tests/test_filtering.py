"""Filtering a search without surprises, read from the page a journalist sees: every
facet value's number is the number of results its link gives, chosen filters are shown by
name, long facets can be opened in full, and impossible dates are said to be impossible."""

import re

import pytest

from archive.models import Entity

from .markup import get_page

# The searches whose every facet link is followed: (query string, why it is here).
SEARCHES = [
    "/search/",
    "/search/?q=ICE",
    "/search/?agency=ice",  # the report: "DHS 3" here, and a click gave 10
    "/search/?q=ICE&agency=hsi",
    "/search/?q=ICE&agency=hsi&agency=cbp",
    "/search/?q=data&agency=ice&contractor=thomson-reuters",
    "/search/?contractor=amazon&contractor=google&program=clear",
    "/search/?q=surveillance&published_after=2021-01-01",
]


def shown_total(client, url: str) -> int:
    summary = get_page(client, url).one("p.summary").text
    found = re.search(r"of (\d+) article", summary)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("url", SEARCHES)
def test_every_facet_number_is_what_its_link_gives(client, seeded, url):
    page = get_page(client, url)
    followed = 0
    for item in page.select(".facets li"):
        if "selected" in item.classes:
            continue  # a chosen value's link removes it
        link = item.one("a")
        number = int(item.one(".n").text)
        href = link.attr("href")
        assert shown_total(client, "/search/" + href) == number, (url, link.text, href)
        followed += 1
    assert followed


# Chosen filters as a reader names them: query string -> chips, in order ("Agency", "ice"
# reads "Agency: " and the entity's name, whatever the catalogue calls it).
CHIPS = [
    ("agency=ice", [("Agency", "ice")]),
    ("contractor=thomson-reuters", [("Contractor", "thomson-reuters")]),
    (
        "agency=ice&contractor=thomson-reuters&program=clear",
        [("Agency", "ice"), ("Contractor", "thomson-reuters"), ("Program", "clear")],
    ),
    ("organization=eff", [("Organization", "eff")]),
    (
        "published_after=2021-01-01&published_before=2021-12-31",
        ["From 1 January 2021", "To 31 December 2021"],
    ),
    ("publication=Techdirt", ["Publication: Techdirt"]),
]


@pytest.mark.parametrize("query, chips", CHIPS)
def test_chosen_filters_show_names_not_addresses(client, seeded, query, chips):
    names = {e.slug: e.name for e in Entity.objects.all()}
    expected = [c if isinstance(c, str) else f"{c[0]}: {names[c[1]]}" for c in chips]
    page = get_page(client, f"/search/?{query}")
    assert [t.removesuffix("×").strip() for t in page.texts(".active-filters a.chip")] == expected


def test_each_chip_removes_its_own_filter(client, seeded):
    page = get_page(client, "/search/?q=ICE&agency=ice&contractor=thomson-reuters")
    hrefs = [
        link.href for link in page.select(".active-filters")[0].links if "chip" in link.classes
    ]
    assert hrefs == ["?q=ICE&contractor=thomson-reuters", "?q=ICE&agency=ice"]


# Dates that cannot select anything are refused with the reason, on the page and the API.
BAD_DATES = [
    ("published_after=2022-01-01&published_before=2021-01-01", "The dates are reversed", True),
    ("published_after=2021-12-31&published_before=2021-12-30", "The dates are reversed", True),
    # Swapping would not be enough: a date the form cannot read; another bad filter.
    ("published_after=20220501&published_before=2021-01-01", "valid date", False),
    ("published_after=2022-01-01&published_before=2021-01-01&agency=nope", "reversed", False),
    ("published_after=2021-02-30", "valid date", False),
    ("published_before=2021-13-01", "valid date", False),
    ("published_after=yesterday", "valid date", False),
]


@pytest.mark.parametrize("query, message, swap", BAD_DATES)
def test_impossible_dates_are_said_to_be_so(client, seeded, query, message, swap):
    response = client.get(f"/search/?q=ICE&{query}")
    assert response.status_code == 400
    page = get_page(client, f"/search/?q=ICE&{query}", status=400)
    assert message in page.text
    assert "Entities with similar names" not in page.text
    swaps = [link.href for link in page.links if link.text == "Search with the dates swapped"]
    if swap:
        after, before = re.findall(r"\d{4}-\d\d-\d\d", query)
        assert swaps == [f"/search/?q=ICE&published_after={before}&published_before={after}"]
        assert shown_total(client, swaps[0]) >= 0  # the swapped search runs
    else:
        assert swaps == []
    api = client.get(f"/api/search/?q=ICE&{query}")
    assert api.status_code == 400 and message in api.json()["error"]


def test_a_long_facet_can_be_shown_in_full(client, seeded):
    # ICE's articles name more than twelve contractors: the rest are one click away.
    named = set(
        Entity.objects.filter(kind="contractor", mentions__isnull=False)
        .distinct()
        .values_list("name", flat=True)
    )
    assert len(named) > 12
    page = get_page(client, "/search/?q=ICE")
    contractors = page.one(".facets .facet-contractor")
    more = contractors.one("details.more-facets")
    assert more.one("summary").text == f"Show {len(named) - 12} more contractors"
    shown = {li.one("a").text for li in contractors.select("li")}
    assert {s for s in shown} == {e.short_name for e in Entity.objects.filter(name__in=named)}


@pytest.mark.parametrize(
    "query, removes_to",
    [
        ("agency=ice%00", ""),  # a NUL (bots send them) is stripped, as the filter reads it
        ("q=ICE&published_after=2021-01-01%00", "q=ICE"),
    ],
)
def test_a_chip_removes_its_filter_whatever_the_address_carried(client, seeded, query, removes_to):
    page = get_page(client, f"/search/?{query}")
    (chip,) = page.select(".active-filters a.chip")
    assert chip.attr("href") == f"?{removes_to}"


@pytest.mark.parametrize(
    "url", ["/search/?q=ICE", "/articles/ice-loses-access-to-utility-customer-records/"]
)
def test_side_panels_are_sent_open_so_they_work_without_javascript(client, seeded, url):
    page = get_page(client, url)
    (panel,) = page.select("details[data-open-wide]")
    assert panel.tag.has_attr("open")


# A browse by entities counts the articles that visibly name them (a rejected mention is
# not a mention), as the list it pages through holds them: (filters, entity slugs).
BROWSES = [
    ({"agency": ["ice"]}, ["ice"]),
    ({"agency": ["ice", "hsi"]}, ["ice", "hsi"]),  # any of one kind's, each article once
    ({"contractor": ["thomson-reuters"]}, ["thomson-reuters"]),
]


@pytest.mark.parametrize("chosen, slugs", BROWSES)
def test_a_browse_by_entities_counts_what_it_lists(seeded, chosen, slugs):
    from archive.models import Mention
    from archive.search import Filters, search

    ids = {
        k: list(Entity.objects.filter(slug__in=v).values_list("id", flat=True))
        for k, v in chosen.items()
    }
    first = Mention.objects.filter(entity__slug=slugs[0]).order_by("id").first()
    first.state = Mention.State.REJECTED
    first.save()
    named = set(
        Mention.objects.visible()
        .filter(entity__slug__in=slugs)
        .values_list("article_id", flat=True)
    )
    results = search("", filters=Filters(entity_ids=ids), page_size=100)
    assert results.total == len(named) == len(results.hits)
    assert {h.article.id for h in results.hits} == named
