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
