# ruff: noqa: E501  (one row per line: the tables read as the seed states it)
"""The evidence rules, enforced over every item of the catalogue (fixtures/catalogue.json)
against the seed text as imported (only whitespace normalised):

- a relationship's quote is one or more whole sentences of its article; it names both
  parties (by name, acronym, alias, or the words the relationship records in "named_as"),
  or says where the article names them ("context": "paragraph" / "previous paragraph");
- its kind says no more than the sentence (each kind needs the words that state it);
- a sentence that speaks of several parties together stays collective ("collective": true);
- its amount and period appear in the quote or in its second cited quote;
- every sentence of an entity's description cites the passage it comes from, and the
  entity's page shows it as a footnote linking to that paragraph;
- a program's statuses are facts (proposed, active, suspended, ended), each dated by its
  quote or its article, and the current status is derived from that history.

Then the findings of issue 8, one row each.
"""

import re
from collections import defaultdict

import pytest

from archive.models import Agency, Article, Entity, Program, ProgramStatus, Relationship
from archive.models import derived_status as derive

from .spec import (
    ARTICLE_BY_SLUG,
    BIGTECH,
    BODYCAM,
    CURRENT_STATUS,
    ENTITIES,
    ENTITY_BY_SLUG,
    NARA_CBP,
    RELATIONSHIPS,
    REPORT,
    TORRANCE,
    UTILITY,
    WYDEN,
    entity_url,
    relationship_id,
)

STATUSES = {"proposed", "active", "suspended", "ended"}
CONTEXTS = {"", "paragraph", "previous paragraph"}
# The words a sentence must use for a relationship of each kind to say no more than it.
KIND_WORDS = {
    "part_of": r"division|parent|within|[Ii]nternal|part of",
    "operates": r"\brun\b|operat|\bsent\b|ICE pilot program|ICE face recognition scans",
    "supplies": r"provid|flows|entered into|tools for|sell",
    "sells_to": r"\bsell|\bsold|\bpaid\b",
    "resells_for": r"\bvia\b|resell|third part",
    "owns": r"-owned|\bowns?\b",
    "funds": r"\$|\bfund|spend",
    "oversees": r"demand|given .* option|guidelines",
    "investigates": r"investigat|exposé|records obtained|FOIA|learned",
    "uses": r"\b[Uu]s(?:e|ed|es|ing)\b|access|surf",
    "contracts_with": r"contract|hired",
    "settled_with": r"agreement|settle",
}
NUMBER_WORDS = r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|January|February|March|April|May|June|July|August|September|October|November|December)\b"
SENTENCE_END = ".!?…:"
CLOSERS = '”’")]'


def _ws(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(slug: str) -> list[str]:
    body = Article.objects.only("body").get(slug=slug).body
    return [_ws(p) for p in body.split("\n") if p.strip()]


def _ends_sentence(text: str) -> bool:
    text = text.rstrip(CLOSERS)
    return bool(text) and text[-1] in SENTENCE_END


def whole_sentences(quote: str, paragraphs: list[str]) -> int | None:
    """The 0-based paragraph in which `quote` stands as whole sentences, else None."""
    quote = _ws(quote)
    for n, para in enumerate(paragraphs):
        start = para.find(quote)
        while start != -1:
            end = start + len(quote)
            starts = start == 0 or (para[start - 1] == " " and _ends_sentence(para[: start - 1]))
            ends = end == len(para) or (para[end] == " " and _ends_sentence(quote))
            if starts and ends:
                return n
            start = para.find(quote, start + 1)
    return None


def names_of(slug: str) -> list[tuple[str, bool]]:
    """(name, case-sensitive) for every name the catalogue gives an entity."""
    e = ENTITY_BY_SLUG[slug]
    out = [(e["name"], False)] + [(a, False) for a in e.get("aliases", [])]
    out += [(a, True) for a in [e.get("acronym", ""), *e.get("acronym_aliases", [])] if a]
    return out


def named(slug: str, text: str, extra: str = "") -> bool:
    candidates = names_of(slug) + ([(extra, False)] if extra else [])
    for name, case_sensitive in candidates:
        flags = 0 if case_sensitive else re.IGNORECASE
        if re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, flags):
            return True
    return False


def numbers(text: str) -> list[str]:
    found = [n.rstrip(".,") for n in re.findall(r"\d[\d,.]*", text)]
    return found + re.findall(NUMBER_WORDS, text)


REL_PARAMS = [pytest.param(r, id=f"{relationship_id(r)}-{n}") for n, r in enumerate(RELATIONSHIPS)]


# -- relationships -------------------------------------------------------------------------
@pytest.mark.parametrize("rel", REL_PARAMS)
def test_relationship_quote_is_whole_sentences(seeded, rel):
    paragraphs = _paragraphs(rel["article"])
    assert whole_sentences(rel["quote"], paragraphs) is not None, rel["quote"]
    if rel.get("second_quote"):
        assert whole_sentences(rel["second_quote"], paragraphs) is not None


@pytest.mark.parametrize("rel", REL_PARAMS)
def test_relationship_names_both_parties(seeded, rel):
    paragraphs = _paragraphs(rel["article"])
    n = whole_sentences(rel["quote"], paragraphs)
    context = rel.get("context", "")
    assert context in CONTEXTS
    where = {
        "": rel["quote"],
        "paragraph": paragraphs[n],
        "previous paragraph": paragraphs[n] + " " + paragraphs[max(n - 1, 0)],
    }[context]
    as_words = rel.get("named_as", {})
    for party in ("subject", "object"):
        slug = rel[party]
        if slug in as_words:
            assert _ws(as_words[slug]) in _ws(where), as_words[slug]
        assert named(slug, where, as_words.get(slug, "")), f"{slug} is not named"
    if context:  # a context is only claimed where the quote itself leaves a party unnamed
        assert not all(
            named(rel[p], rel["quote"], as_words.get(rel[p], "")) for p in ("subject", "object")
        )


@pytest.mark.parametrize("rel", REL_PARAMS)
def test_relationship_kind_says_no_more_than_the_sentence(rel):
    assert re.search(KIND_WORDS[rel["kind"]], rel["quote"]), rel["kind"]
    if rel["kind"] == "operates":
        assert "to spend" not in rel["quote"]  # money to spend is funding, not operating


@pytest.mark.parametrize("rel", REL_PARAMS)
def test_relationship_amount_and_period_are_in_the_quotes(rel):
    said = rel["quote"] + " " + rel.get("second_quote", "")
    for value in (rel.get("amount", ""), rel.get("period", "")):
        for token in numbers(value):
            assert token in said, f"{token!r} of {value!r} is in neither quote"


def test_collective_sentences_stay_collective():
    """One sentence of the same kind for several subjects and several objects (or several
    subjects sharing one amount) never says who did what with whom: flagged collective."""
    groups = defaultdict(list)
    for rel in RELATIONSHIPS:
        groups[(rel["quote"], rel["kind"])].append(rel)
    for (quote, kind), rels in groups.items():
        subjects = {r["subject"] for r in rels}
        objects = {r["object"] for r in rels}
        joint_amount = len(subjects) > 1 and any(r.get("amount") for r in rels)
        if (len(subjects) > 1 and len(objects) > 1) or joint_amount:
            assert all(r.get("collective") for r in rels), (kind, quote[:60])


@pytest.mark.parametrize("rel", REL_PARAMS)
def test_relationship_is_stored_with_its_evidence(seeded, rel):
    stored = Relationship.objects.get(
        subject__slug=rel["subject"],
        kind=rel["kind"],
        object__slug=rel["object"],
        article__slug=rel["article"],
        amount=rel.get("amount", ""),
        period=rel.get("period", ""),
    )
    assert (stored.quote, stored.second_quote, stored.collective, stored.context) == (
        rel["quote"],
        rel.get("second_quote", ""),
        bool(rel.get("collective")),
        rel.get("context", ""),
    )


# -- descriptions --------------------------------------------------------------------------
DESC_PARAMS = [
    pytest.param(e["slug"], n, d, id=f"{e['slug']}-{n}")
    for e in ENTITIES
    for n, d in enumerate(e["description_sources"], 1)
]


@pytest.mark.parametrize("slug", [e["slug"] for e in ENTITIES])
def test_every_description_is_sourced_sentences(slug):
    description = ENTITY_BY_SLUG[slug]["description_sources"]
    assert isinstance(description, list) and description, (
        "a description is a list of sourced sentences"
    )


@pytest.mark.parametrize("slug, n, sentence", DESC_PARAMS)
def test_description_sentence_cites_its_passage(seeded, slug, n, sentence):
    text = sentence["text"]
    assert sentence["article"] in ARTICLE_BY_SLUG
    # One sentence: no sentence end followed by a capital inside it.
    assert not re.search(r"[.!?]\s+[A-Z]", text.rstrip()), text
    assert _ends_sentence(text)
    assert whole_sentences(sentence["quote"], _paragraphs(sentence["article"])) is not None
    for token in re.findall(r"\d[\d,.]*", text):  # every figure it states is in its source
        assert token.rstrip(".,") in sentence["quote"], token


@pytest.mark.parametrize("slug", [e["slug"] for e in ENTITIES])
def test_entity_page_shows_each_description_sentence_with_a_footnote(client, seeded, slug):
    entity = Entity.objects.get(slug=slug)
    sources = ENTITY_BY_SLUG[slug]["description_sources"]
    assert entity.description == " ".join(d["text"] for d in sources)
    assert [s["quote"] for s in entity.description_sources] == [d["quote"] for d in sources]
    html = client.get(entity_url(slug)).content.decode()
    for d in sources:
        body = Article.objects.get(slug=d["article"]).body
        para = body[: body.find(d["quote"])].count("\n") + 1
        blank = sum(1 for p in body.split("\n")[: para - 1] if not p.strip())
        assert f'href="/articles/{d["article"]}/#p-{para - blank}"' in html


# -- program statuses -------------------------------------------------------------------------
STATUS_PARAMS = [
    pytest.param(e["slug"], c, id=f"{e['slug']}-{c['status']}-{c.get('year')}")
    for e in ENTITIES
    for c in e.get("status", [])
]


@pytest.mark.parametrize("slug, claim", STATUS_PARAMS)
def test_status_is_a_dated_sourced_fact(seeded, slug, claim):
    assert claim["status"] in STATUSES
    assert whole_sentences(claim["quote"], _paragraphs(claim["article"])) is not None
    year = claim.get("year")
    if year is not None:  # said in the quote, or as of the article's date
        published = ARTICLE_BY_SLUG[claim["article"]].get("published") or ""
        assert str(year) in claim["quote"] or published.startswith(str(year))


@pytest.mark.parametrize("slug", [e["slug"] for e in ENTITIES if e["kind"] == "program"])
def test_current_status_is_derived_from_the_history(client, seeded, slug):
    program = Program.objects.get(slug=slug)
    rows = list(ProgramStatus.objects.filter(program=program))
    expected = derive([(r.status, r.year) for r in rows])
    assert "current_status" not in ENTITY_BY_SLUG[slug]
    assert program.status == expected == CURRENT_STATUS.get(slug, "")
    html = client.get(entity_url(slug)).content.decode()
    if expected:
        assert f'class="status status-{expected}"' in html
        assert html.count('class="status status-') == 1  # the header never shows another


# -- the findings of issue 8 ----------------------------------------------------------------
def _rel(subject, obj):
    return [r for r in RELATIONSHIPS if r["subject"] == subject and r["object"] == obj]


FINDINGS = [
    pytest.param(
        lambda: (
            all(r["collective"] for r in RELATIONSHIPS if r["kind"] == "resells_for")
            and len([r for r in RELATIONSHIPS if r["kind"] == "resells_for"]) == 9
        ),
        id="resells_for-collective",
    ),
    pytest.param(
        lambda: [r["kind"] for r in _rel("ice", "raven")] == ["funds"],
        id="raven-funds-not-operates",
    ),
    pytest.param(
        lambda: (
            [r["kind"] for r in _rel("western-union", "arizona-attorney-general")]
            == ["settled_with"]
        ),
        id="western-union-arizona-settlement",
    ),
    pytest.param(
        lambda: _rel("western-union", "arizona-attorney-general")[0]["quote"].endswith(
            "without any judicial approval."
        ),
        id="western-union-arizona-whole-sentence",
    ),
    pytest.param(
        lambda: "$7.2 million" in _rel("trust-stamp", "ice")[0]["second_quote"],
        id="trust-stamp-amount-cited",
    ),
    pytest.param(
        lambda: all(not r["period"] for r in _rel("google", "ice") + _rel("google", "cbp")),
        id="google-period-not-credited",
    ),
    pytest.param(
        lambda: all(not r["period"] for r in _rel("nctue", "equifax") + _rel("equifax", "clear")),
        id="utility-period-not-credited",
    ),
    pytest.param(
        lambda: [c["status"] for c in ENTITY_BY_SLUG["clear"]["status"]] == ["active"],
        id="clear-goes-on",
    ),
    pytest.param(
        lambda: ENTITY_BY_SLUG["doj-body-camera-grant-program"]["status"][-1]["status"] == "ended",
        id="doj-grant-follows-its-evidence",
    ),
    pytest.param(
        lambda: (
            not any(
                c["status"] in ("disputed", "pilot") for e in ENTITIES for c in e.get("status", [])
            )
        ),
        id="no-opinion-statuses",
    ),
    pytest.param(
        lambda: not any("first" in d["text"] for d in ENTITY_BY_SLUG["hsi"]["description_sources"]),
        id="hsi-not-the-first-to-test",
    ),
    pytest.param(
        lambda: any(
            "The ATF was the first" in d["quote"]
            for d in ENTITY_BY_SLUG["atf"]["description_sources"]
        ),
        id="atf-the-first",
    ),
    pytest.param(
        lambda: (
            any(
                "work with local" in d["text"] for d in ENTITY_BY_SLUG["doj"]["description_sources"]
            )
            and not any(
                "allowed" in d["text"] and "federal officers" in d["text"]
                for d in ENTITY_BY_SLUG["doj"]["description_sources"]
            )
        ),
        id="doj-agents-work-with-local-officers",
    ),
    pytest.param(
        lambda: ENTITY_BY_SLUG["wickr"]["kind"] == ENTITY_BY_SLUG["whatsapp"]["kind"] == "program",
        id="wickr-whatsapp-are-apps",
    ),
    pytest.param(
        lambda: (
            ENTITY_BY_SLUG["supreme-court"]["kind"]
            == ENTITY_BY_SLUG["eleventh-circuit"]["kind"]
            == "organization"
        ),
        id="courts-are-organizations",
    ),
    pytest.param(
        lambda: (
            {
                "congress",
                "eff",
                "center-on-privacy-technology",
                "crew",
                "niya",
                "insider",
                "washington-post",
            }
            <= {e["slug"] for e in ENTITIES if e["kind"] == "organization"}
        ),
        id="watchdogs-and-press",
    ),
    pytest.param(lambda: not _rel("cbp", "whatsapp"), id="cbp-whatsapp-not-stated"),
]


@pytest.mark.parametrize("check", FINDINGS)
def test_issue_8_findings_are_fixed(check):
    assert check()


@pytest.mark.parametrize(
    "url, moved_to",
    [
        ("/contractors/wickr/", "/programs/wickr/"),
        ("/agencies/supreme-court/", "/organizations/supreme-court/"),
    ],
)
def test_refiled_entities_move(client, seeded, url, moved_to):
    response = client.get(url)
    assert response.status_code == 301 and response["Location"] == moved_to


def test_organizations_have_pages_an_index_and_an_api_kind(client, seeded):
    index = client.get("/organizations/").content.decode()
    for slug in ("eff", "crew", "insider", "washington-post"):
        assert f'href="/organizations/{slug}/"' in index
    assert client.get("/organizations/crew/").status_code == 200
    data = client.get("/api/entities/?kind=organization").json()
    assert {"crew", "eff", "insider"} <= {e["slug"] for e in data["results"]}
    assert client.get("/api/entities/organization/crew/").status_code == 200
    assert 'href="/organizations/"' in client.get("/").content.decode()


def test_organization_facet_filters_search(client, seeded):
    html = client.get("/search/?organization=crew").content.decode()
    assert f"/articles/{NARA_CBP}/" in html
    assert f"/articles/{REPORT}/" not in html


@pytest.mark.parametrize(
    "agency, below",
    [("dhs", {"ice", "hsi", "cbp", "dhs-oig"}), ("ice", {"hsi"})],
)
def test_agency_page_counts_including_sub_agencies(client, seeded, agency, below):
    from archive.models import Mention

    parents = dict(Agency.objects.values_list("slug", "parent__slug"))
    found = {
        s
        for s in parents
        if s != agency and (parents[s] == agency or parents.get(parents[s]) == agency)
    }
    assert found == below
    articles = set(
        Mention.objects.visible()
        .filter(entity__slug__in={agency, *below})
        .values_list("article__slug", flat=True)
    )
    html = client.get(f"/agencies/{agency}/").content.decode()
    assert "Including sub-agencies" in html
    assert f"named in <strong>{len(articles)}</strong> article" in html
    for slug in below:
        assert f"agency={slug}" in html


def test_collective_and_context_are_shown(client, seeded):
    html = client.get("/contractors/panamerica-computers/").content.decode()
    assert html.count("collective statement: the sentence names") == 3  # one per claim
    assert "the paragraph before the quote" in html
    html = client.get("/contractors/trust-stamp/").content.decode()
    assert "That sort of service is apparently worth $7.2 million" in html


# Articles the specification table uses, kept in one place.
assert {BIGTECH, BODYCAM, TORRANCE, UTILITY, WYDEN} <= set(ARTICLE_BY_SLUG)


def test_a_corrected_catalogue_corrects_an_archive_imported_before(seeded):
    """An archive imported from the old catalogue: Wickr filed as a contractor, the Arizona
    settlement as a contract, CLEAR "ended". Re-importing the corrected catalogue re-files
    Wickr (its mentions and relationships stay), drops the withdrawn relationship and leaves
    an editor's own relationship alone."""
    import io

    from django.core.management import call_command

    from archive.ingest.catalogue import _change_kind
    from archive.models import Contractor, Mention

    wickr = Entity.objects.get(slug="wickr")
    mentions = Mention.objects.filter(entity=wickr).count()
    _change_kind(wickr, Contractor)
    wu, az = (
        Entity.objects.get(slug="western-union"),
        Entity.objects.get(slug="arizona-attorney-general"),
    )
    settlement = Relationship.objects.get(subject=wu, object=az)
    old = Relationship.objects.create(
        subject=wu,
        kind="contracts_with",
        object=az,
        article=settlement.article,
        quote=settlement.quote,
    )
    mine = Relationship.objects.create(
        subject=wu, kind="supplies", object=az, article=settlement.article, quote=settlement.quote
    )
    mine.mark_edited(["quote"])
    mine.save(update_fields=["edited_fields"])
    call_command("import_seeds", verbosity=0, stdout=io.StringIO())
    wickr = Entity.objects.get(slug="wickr")
    assert wickr.kind == "program" and Program.objects.filter(pk=wickr.pk).exists()
    assert not Contractor.objects.filter(pk=wickr.pk).exists()
    assert Mention.objects.filter(entity=wickr).count() == mentions
    assert not Relationship.objects.filter(pk=old.pk).exists()
    assert Relationship.objects.filter(pk=mine.pk).exists()
