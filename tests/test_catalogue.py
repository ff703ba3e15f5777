# ruff: noqa: E501  (one row per line: the table reads as the seed states it)
"""The catalogue's sourced facts, as a table written from the seed text: each relationship
and program status cites an article and a sentence that really occurs in it."""

import json
from typing import NamedTuple

import pytest

from archive.ingest import IngestError, catalogue
from archive.models import Agency, Article, Entity, Program, ProgramStatus, Relationship

from .spec import (
    BIGTECH,
    BODYCAM,
    CURRENT_STATUS,
    FACIAL,
    NARA_CBP,
    RELATIONSHIPS,
    REPORT,
    TORRANCE,
    UTILITY,
    WYDEN,
    relationship_id,
)


class Stated(NamedTuple):
    """A relationship the seed states: who, how, whom, in which article, for how much, and
    words its quote must contain."""

    subject: str
    kind: str
    object: str
    article: str
    amount: str
    words: str


def stated(subject, kind, obj, article, words, amount=""):
    return pytest.param(
        Stated(subject, kind, obj, article, amount, words), id=f"{subject}-{kind}-{obj}"
    )


# fmt: off
STATED = [
    stated("hsi", "part_of", "ice", WYDEN, "a division of ICE"),
    stated("thomson-reuters", "operates", "clear", WYDEN, "CLEAR database run by Thomson Reuters"),
    stated("thomson-reuters", "sells_to", "ice", WYDEN, "$21 million a year", amount="$21 million a year"),
    stated("ice", "uses", "clear", WYDEN, "ICE paid $21 million a year for access", amount="$21 million a year"),
    stated("equifax", "supplies", "clear", UTILITY, "CLEAR database"),
    stated("nctue", "supplies", "equifax", UTILITY, "told Equifax to stop selling"),
    stated("trust-stamp", "contracts_with", "ice", FACIAL, "hired to assist ICE", amount="$7.2 million"),  # the amount: its second quote
    stated("corecivic", "contracts_with", "ice", TORRANCE, "ICE’s contractor"),
    stated("amazon", "owns", "wickr", NARA_CBP, "Amazon-owned"),
    stated("cbp", "uses", "wickr", NARA_CBP, "used the app"),
    stated("western-union", "supplies", "hsi", WYDEN, "6.2 million financial records", amount="6.2 million"),
    stated("maxitransfers", "supplies", "hsi", WYDEN, "6.2 million financial records", amount="6.2 million"),
    stated("hsi-money-transfer-summonses", "supplies", "trac", WYDEN, "Transaction Record Analysis Center"),
    stated("amazon", "sells_to", "ice", BIGTECH, "Amazon used third parties"),
    stated("google", "sells_to", "cbp", BIGTECH, "Google used third parties"),
    stated("microsoft", "sells_to", "ice", BIGTECH, "Microsoft used third parties"),
    stated("panamerica-computers", "resells_for", "amazon", BIGTECH, "Panamerica Computers"),
    stated("four-points-technology", "resells_for", "google", BIGTECH, "Four Points Technology"),
    stated("systems-engineering-solutions", "resells_for", "microsoft", BIGTECH, "Systems Engineering Solutions"),
    # "has $300 million to spend on a new system": funds (plans), not operates.
    stated("ice", "funds", "raven", BIGTECH, "$300 million to spend", amount="$300 million"),
    stated("ice", "operates", "body-worn-camera-pilot", BODYCAM, "the ICE pilot program"),
    # An agreement over money laundering allegations: a settlement, not a contract.
    stated("western-union", "settled_with", "arizona-attorney-general", WYDEN, "over money laundering allegations"),
    stated("doj", "funds", "doj-body-camera-grant-program", BODYCAM, "$75 million over the next three years", amount="$75 million"),
    stated("dhs-oig", "part_of", "dhs", TORRANCE, "DHS Inspector General"),
    stated("crew", "investigates", "cbp", NARA_CBP, "FOIA request"),
    stated("washington-post", "investigates", "dmv-face-recognition", REPORT, "ran an exposé"),
    stated("center-on-privacy-technology", "investigates", "dmv-face-recognition", REPORT, "records obtained by the Center on Privacy & Technology"),
    stated("insider", "investigates", "trust-stamp", FACIAL, "Insider has learned"),
]
# fmt: on


class StatusClaim(NamedTuple):
    """A program's status in a year, as an article says it, with words its quote contains."""

    program: str
    status: str
    year: int
    article: str
    words: str


def claim(program, status, year, article, words):
    return pytest.param(
        StatusClaim(program, status, year, article, words), id=f"{program}-{status}-{year}"
    )


STATUSES = [
    claim(
        "hsi-money-transfer-summonses",
        "ended",
        2022,
        WYDEN,
        "terminated the program in January 2022",
    ),
    claim("clear", "active", 2021, UTILITY, "sold to whoever wants access"),
    claim("body-worn-camera-pilot", "active", 2021, BODYCAM, "six-month pilot program"),
    claim("raven", "proposed", 2021, BIGTECH, "$300 million"),
    claim("doj-body-camera-grant-program", "active", 2015, BODYCAM, "In May 2015"),
    claim(
        "doj-body-camera-grant-program", "ended", None, BODYCAM, "three years of federal funding"
    ),
]

# (program, current status shown on its page): the latest claim of its sourced history.
CURRENT = list(CURRENT_STATUS.items())


@pytest.mark.parametrize("rel", [pytest.param(r, id=relationship_id(r)) for r in RELATIONSHIPS])
def test_every_catalogue_quote_occurs_in_its_article(seeded, rel):
    stored = Relationship.objects.get(
        subject__slug=rel["subject"],
        kind=rel["kind"],
        object__slug=rel["object"],
        article__slug=rel["article"],
    )
    assert stored.quote == rel["quote"]
    assert rel["quote"] in stored.article.body


@pytest.mark.parametrize("fact", STATED)
def test_relationships_the_seed_states(seeded, fact: Stated):
    rel = Relationship.objects.get(
        subject__slug=fact.subject,
        kind=fact.kind,
        object__slug=fact.object,
        article__slug=fact.article,
    )
    assert fact.words in rel.quote
    assert rel.quote in rel.article.body
    if fact.amount:
        assert fact.amount in rel.amount


@pytest.mark.parametrize("fact", STATUSES)
def test_program_status_history_is_sourced(seeded, fact: StatusClaim):
    row = ProgramStatus.objects.get(
        program__slug=fact.program, status=fact.status, year=fact.year, article__slug=fact.article
    )
    assert fact.words in row.quote
    assert row.quote in row.article.body


@pytest.mark.parametrize("program,status", CURRENT)
def test_current_program_status(seeded, program, status):
    assert Program.objects.get(slug=program).status == status


# Every agency under its parent, and each "part of" cited: the article passage that says it
# or, where no seed sentence does (ICE and CBP under DHS), DHS's own list of its components.
DHS_CHART = "https://www.dhs.gov/operational-and-support-components"
HIERARCHY = [
    # child, parent, source: an article's slug or the public record's address
    ("hsi", "ice", "hsi-asks-to-be-separated-from-ice"),
    ("ice", "dhs", DHS_CHART),
    ("cbp", "dhs", DHS_CHART),
    ("dhs-oig", "dhs", TORRANCE),
    ("dhs", None, None),
    ("nara", None, None),
]


@pytest.mark.parametrize("child,parent,source", HIERARCHY)
def test_agency_hierarchy(seeded, child, parent, source):
    agency = Agency.objects.get(slug=child)
    assert (agency.parent.slug if agency.parent else None) == parent
    cited = agency.parent_source.get("url") or agency.parent_source.get("article")
    assert cited == source


@pytest.mark.parametrize("child,parent,source", [h for h in HIERARCHY if h[1]])
def test_parent_source_names_both(seeded, child, parent, source):
    """A quoted "part of" is in its article and names both agencies (by any of their
    names); a public record is cited by its https address and title."""
    agency = Agency.objects.select_related("parent").get(slug=child)
    cited = agency.parent_source
    if "url" in cited:
        assert cited["url"].startswith("https://") and cited["title"]
        return
    body = Article.objects.get(slug=cited["article"]).body
    assert cited["quote"] in body and cited["paragraph"] >= 1
    for entity in (agency, agency.parent):
        assert any(name in cited["quote"] for name, _ in entity.names()), entity.slug


@pytest.mark.parametrize(
    "parent_source",
    [
        None,
        {},
        {"article": "x"},
        {"quote": "y"},
        {"url": "http://example.org", "title": "t"},
        {"url": "https://example.org"},
        {"article": "x", "quote": "y", "title": "z"},  # the import finds the title itself
    ],
)
def test_a_parent_without_a_source_is_refused(tmp_path, parent_source):
    entity = {"kind": "agency", "slug": "x", "name": "X", "parent": "dhs"}
    if parent_source is not None:
        entity["parent_source"] = parent_source
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps({"entities": [entity], "relationships": []}))
    with pytest.raises(
        IngestError, match=r"catalogue.json: entity 'x': its parent needs a parent_source"
    ):
        catalogue.load(path)


@pytest.mark.parametrize(
    "slug",
    [
        "ice",
        "cbp",
        "dhs",
        "hsi",
        "dhs-oig",
        "nara",
        "doj",
        "atf",
        "cfpb",
        "gao",
        "nsa",
        "trust-stamp",
        "corecivic",
        "thomson-reuters",
        "equifax",
        "amazon",
        "google",
        "microsoft",
        "western-union",
        "maxitransfers",
        "panamerica-computers",
        "four-points-technology",
        "systems-engineering-solutions",
        "nctue",
        "wickr",
        "clear",
        "trac",
        "raven",
        "body-worn-camera-pilot",
        "dmv-face-recognition",
        "congress",
        "eff",
        "center-on-privacy-technology",
        "crew",
        "niya",
        "insider",
        "washington-post",
    ],
)
def test_catalogue_has_every_entity_the_issue_names_with_a_description(seeded, slug):
    entity = Entity.objects.get(slug=slug)
    assert entity.description.strip()


@pytest.mark.parametrize(
    "source, ok",
    [
        ({}, True),
        ({"url": "https://www.dhs.gov/x", "title": "DHS"}, True),
        ({"article": "a-slug", "quote": "A sentence."}, True),
        ({"url": "javascript:alert(1)", "title": "x"}, False),
        ({"url": "https://www.dhs.gov/x"}, False),
        ({"quote": "A sentence."}, False),
        (["https://www.dhs.gov/x"], False),
    ],
)
def test_an_editor_gives_a_parent_source_in_one_of_two_shapes(seeded, source, ok):
    from django.core.exceptions import ValidationError

    from archive.selectors import parent_citation

    cbp = Agency.objects.get(slug="cbp")
    cbp.parent_source = source
    if ok:
        cbp.clean()
    else:
        with pytest.raises(ValidationError):
            cbp.clean()
    # Whatever is stored, the page links only an http(s) address or an article's passage.
    cited = parent_citation(cbp) if isinstance(source, dict) else None
    assert cited is None or cited.url.startswith(("https://", "/articles/"))
