"""The catalogue's sourced facts, as a table written from the seed text: each relationship
and program status cites an article and a sentence that really occurs in it."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from archive.models import Agency, Program, ProgramStatus, Relationship

CATALOGUE = json.loads((Path(settings.FIXTURES_DIR) / "catalogue.json").read_text())

WYDEN = "wyden-catches-ice-illegally-collecting-financial-data"
UTILITY = "ice-loses-access-to-utility-customer-records"
RESELLERS = "google-amazon-microsoft-sell-surveillance-tech-to-ice-cbp-through-third-parties"
TORRANCE = "ice-torrance-detainees-inadequate-staffing-unsanitary-facilities"
NARA = "national-archive-questions-cbp-auto-deleting-messages"
TRUST_STAMP = "ice-facial-recognition-contractor-leaks-personal-data"
BODYCAM = "dhs-ice-begin-body-camera-pilot-program"

# (subject, kind, object, article, amount, words the quote must contain)
RELATIONSHIPS = [
    ("hsi", "part_of", "ice", WYDEN, "", "a division of ICE"),
    ("ice", "part_of", "dhs", TORRANCE, "", "DHS Inspector General"),
    ("thomson-reuters", "operates", "clear", WYDEN, "", "CLEAR database run by Thomson Reuters"),
    ("thomson-reuters", "sells_to", "ice", WYDEN, "$21 million a year", "$21 million a year"),
    ("equifax", "supplies", "clear", UTILITY, "", "CLEAR database"),
    ("nctue", "supplies", "equifax", UTILITY, "", "told Equifax to stop selling"),
    ("trust-stamp", "contracts_with", "ice", TRUST_STAMP, "$7.2 million", "hired to assist ICE"),
    ("corecivic", "contracts_with", "ice", TORRANCE, "", "CoreCivic"),
    ("amazon", "owns", "wickr", NARA, "", "Amazon-owned"),
    ("cbp", "uses", "wickr", NARA, "", "used the app"),
    ("western-union", "supplies", "hsi", WYDEN, "6.2 million", "6.2 million financial records"),
    ("maxitransfers", "supplies", "hsi", WYDEN, "6.2 million", "6.2 million financial records"),
    (
        "hsi-money-transfer-summonses",
        "supplies",
        "trac",
        WYDEN,
        "",
        "Transaction Record Analysis Center",
    ),
    ("amazon", "sells_to", "ice", RESELLERS, "", "Amazon used third parties"),
    ("google", "sells_to", "cbp", RESELLERS, "", "Google used third parties"),
    ("microsoft", "sells_to", "ice", RESELLERS, "", "Microsoft used third parties"),
    ("panamerica-computers", "resells_for", "amazon", RESELLERS, "", "Panamerica Computers"),
    ("four-points-technology", "resells_for", "google", RESELLERS, "", "Four Points Technology"),
    (
        "systems-engineering-solutions",
        "resells_for",
        "microsoft",
        RESELLERS,
        "",
        "Systems Engineering Solutions",
    ),
    ("ice", "operates", "raven", RESELLERS, "$300 million", "$300 million"),
    ("ice", "operates", "body-worn-camera-pilot", BODYCAM, "", "pilot"),
]

# (program, status, year, article, words the quote must contain)
STATUSES = [
    (
        "hsi-money-transfer-summonses",
        "ended",
        2022,
        WYDEN,
        "terminated the program in January 2022",
    ),
    ("clear", "ended", 2021, UTILITY, "no longer have access"),
    ("body-worn-camera-pilot", "pilot", 2021, BODYCAM, "pilot"),
    ("raven", "proposed", 2021, RESELLERS, "$300 million"),
]

# (program, current status shown on its page)
CURRENT = [
    ("clear", "active"),
    ("hsi-money-transfer-summonses", "ended"),
    ("raven", "proposed"),
    ("body-worn-camera-pilot", "pilot"),
]


@pytest.mark.parametrize(
    "rel", CATALOGUE["relationships"], ids=lambda r: f"{r['subject']}-{r['kind']}-{r['object']}"
)
def test_every_catalogue_quote_occurs_in_its_article(seeded, rel):
    stored = Relationship.objects.get(
        subject__slug=rel["subject"],
        kind=rel["kind"],
        object__slug=rel["object"],
        article__slug=rel["article"],
    )
    assert stored.quote == rel["quote"]
    assert rel["quote"] in stored.article.body


@pytest.mark.parametrize("subject,kind,obj,article,amount,words", RELATIONSHIPS)
def test_relationships_the_seed_states(seeded, subject, kind, obj, article, amount, words):
    rel = Relationship.objects.get(
        subject__slug=subject, kind=kind, object__slug=obj, article__slug=article
    )
    assert words in rel.quote
    assert rel.quote in rel.article.body
    if amount:
        assert amount in rel.amount


@pytest.mark.parametrize("program,status,year,article,words", STATUSES)
def test_program_status_history_is_sourced(seeded, program, status, year, article, words):
    row = ProgramStatus.objects.get(
        program__slug=program, status=status, year=year, article__slug=article
    )
    assert words in row.quote
    assert row.quote in row.article.body


@pytest.mark.parametrize("program,status", CURRENT)
def test_current_program_status(seeded, program, status):
    assert Program.objects.get(slug=program).status == status


@pytest.mark.parametrize("child,parent", [("hsi", "ice"), ("ice", "dhs"), ("dhs-oig", "dhs")])
def test_agency_hierarchy(seeded, child, parent):
    assert Agency.objects.get(slug=child).parent.slug == parent


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
    ],
)
def test_catalogue_has_every_entity_the_issue_names_with_a_description(seeded, slug):
    from archive.models import Entity

    entity = Entity.objects.get(slug=slug)
    assert entity.description.strip()
