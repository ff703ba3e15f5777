"""Entity-aware ranking and highlighting (issue 8, item 7), specified over the seed.

A query that names a catalogue entity (its card) ranks the articles with a visible mention
of it first: naming it in the title, then in the opening, then by mention count, then by
the earlier first mention; plain text matches follow. Both engines sort the same data the
same way, so they agree on the top 5 (tests/test_search.py runs ENTITY_TOP on the other
engine in the same run). Highlights mark the entity's names and the typed phrase, never the
small words of the name one by one.
"""

import re

import pytest

from archive.models import Mention
from archive.search import search

from .spec import BIGTECH, BODYCAM, FACIAL, HSI_SPLIT, REPORT, TORRANCE, UTILITY

pytestmark = pytest.mark.django_db

# (query, the article that must come first): from the seed text.
ENTITY_FIRST = [
    ("ICE", REPORT),  # ICE in the title, 38 mentions
    ("Immigration and Customs Enforcement", REPORT),  # the same entity, spelled out
    ("Homeland Security Investigations", HSI_SPLIT),  # names HSI in its opening line
    ("DHS", BODYCAM),  # "DHS, ICE Begin Body Camera Pilot Program"
    ("Department of Homeland Security", BODYCAM),
    # CBP in both titles; BIGTECH names it in its opening, NARA_CBP only later.
    ("CBP", BIGTECH),
    ("Customs and Border Protection", BIGTECH),
    ("Amazon", BIGTECH),
    ("Thomson Reuters", UTILITY),  # four mentions against one
    ("CLEAR", UTILITY),
    ("Trust Stamp", FACIAL),
    ("CoreCivic", TORRANCE),
]
# Queries whose top 5 both engines must give in the same order.
ENTITY_TOP = [q for q, _ in ENTITY_FIRST] + ["ICE data", "Wickr", "Reuters"]


def slugs(r) -> list[str]:
    return [h.article.slug for h in r.hits]


@pytest.mark.parametrize("text, first", [pytest.param(t, f, id=t) for t, f in ENTITY_FIRST])
def test_an_article_naming_the_entity_comes_first(seeded, text, first):
    r = search(text)
    assert r.entities, "the query names an entity"
    assert slugs(r)[0] == first


@pytest.mark.parametrize("text", [pytest.param(t, id=t) for t in ENTITY_TOP])
def test_mentions_rank_above_plain_text_matches(seeded, text):
    r = search(text, page_size=100)
    named = {e.id for e in r.entities}
    mentions = [
        Mention.objects.visible().filter(article=h.article, entity_id__in=named).exists()
        for h in r.hits
    ]
    # Every article that mentions a named entity comes before every one that does not.
    assert mentions == sorted(mentions, reverse=True)


# (query, marks that must appear somewhere on the page, marks that must not appear)
MARKS = [
    (
        "Immigration and Customs Enforcement",
        {"immigration and customs enforcement", "ice"},
        {"and", "customs", "immigration", "enforcement"},
    ),
    ("Customs and Border Protection", {"cbp"}, {"and", "customs"}),
    ("Homeland Security Investigations", {"hsi"}, {"homeland", "security"}),
    ("Thomson Reuters", {"thomson reuters"}, {"thomson"}),
    ("ICE data", {"ice", "data"}, set()),
]


@pytest.mark.parametrize("text, wanted, unwanted", [pytest.param(*m, id=m[0]) for m in MARKS])
def test_highlights_mark_names_not_their_small_words(seeded, text, wanted, unwanted):
    r = search(text, page_size=100)
    marked = {
        m.lower()
        for h in r.hits
        for m in re.findall(r"<mark>(.*?)</mark>", h.title_html + h.snippet_html)
    }
    assert wanted <= marked, marked
    assert not (unwanted & marked), marked


# The page needs only its own slice of the entity-first order, so titles are read only until
# it is placed (service._titled_first); that slice is the one the whole order gives.
# (article id, named entities, title): ids 1-6 name ICE alone, 7-8 ICE and HSI.
TITLED = [
    (1, 1, "A week of weather"),
    (2, 1, "ICE expands its surveillance"),
    (3, 1, "Nothing to see here"),
    (4, 1, "Immigration and Customs Enforcement buys data"),
    (5, 1, "ICE cream is not the agency"),
    (6, 1, "Budget notes"),
    (7, 2, "Two agencies, one title naming neither"),
    (8, 2, "HSI wants out of ICE"),
]


@pytest.mark.parametrize("needed", range(0, len(TITLED) + 2))
def test_the_page_slice_of_the_entity_first_order(seeded, needed):
    from archive.models import Entity
    from archive.search.entities import entities_named
    from archive.search.service import _titled_first

    entities_named("ICE")  # the search's linker, as a search has read it
    ice, hsi = (Entity.objects.get(slug=s).pk for s in ("ice", "hsi"))
    by_article = {i: [{ice} if n == 1 else {ice, hsi}] for i, n, _ in TITLED}
    # Sorted by everything but the title: more entities first, then as listed.
    keys = [
        (i, (-n, i), None, title) for i, n, title in sorted(TITLED, key=lambda r: (-r[1], r[0]))
    ]
    whole = _titled_first(keys, by_article, len(keys))
    assert whole == [8, 7, 2, 4, 1, 3, 5, 6]  # titles naming an entity first, in each group
    got = _titled_first(keys, by_article, needed)
    assert got[:needed] == whole[:needed] and sorted(got) == sorted(whole)
