# ruff: noqa: E501  (the tables quote the seed text; one row per line reads best)
"""Which entities each article names, and the linker's rules, as a specification.

Counts marked in MUST_LINK were counted by hand from seeds/000_bfd58ad0cbd93c3f.txt
(line numbers in the comments); PRESENT means "at least once". Articles are named by their
number in the seed (tests/spec.py: SLUG_BY_NUMBER); the catalogue is tests/spec.py's too.
"""

import re
from typing import NamedTuple

import pytest

from archive.models import Article, Entity, Mention
from archive.names.linker import Entry, Linker, Name, compile_names, is_acronym_like
from archive.names.text import fold_quotes

from .spec import ALL, ENTITIES, SLUG_BY_NUMBER

PRESENT = "present"

# ---------------------------------------------------------------------------------------------
# What each article must link: (article, entity, count or PRESENT)
# ---------------------------------------------------------------------------------------------
MUST_LINK = [
    # 1 — Trust Stamp leak
    (1, "trust-stamp", 10),  # lines 2–9
    (1, "ice", 4),  # "Immigration and Customs Enforcement" l.2, ICE l.6, 8, 9
    (1, "sec", 1),  # "an SEC filing" l.8
    # 2 — ICE's surveillance apparatus
    (2, "ice", 38),
    (2, "dmv", 2),  # "Department of Motor Vehicle (DMV)" l.22, "DMV databases" l.24
    (2, "dmv-face-recognition", 1),  # "face recognition scans of DMV photos" l.28
    (2, "gao", 1),  # "Government Accountability Office (GAO)" l.28
    (2, "nsa", PRESENT),  # "on par with the NSA" l.23
    (2, "supreme-court", 1),  # "Sidestepping Supreme Court rulings" l.13 (unqualified)
    (2, "apple", PRESENT),  # "Apple’s explicit blessing" l.11
    # 3 — NARA and CBP's auto-deleting messages
    (3, "nara", 9),
    (3, "cbp", 9),
    (3, "wickr", 4),  # l.35, 38, 39 ×2
    (3, "whatsapp", 1),  # l.37
    (3, "amazon", 1),  # "The Amazon-owned encrypted messaging platform" l.35
    (3, "ice", 1),  # "Since NARA had already given ICE" l.33
    # 4 — Torrance County Detention Facility
    (4, "ice", 24),
    (4, "corecivic", 3),  # l.45, 48, 55
    (4, "dhs-oig", 7),  # DHS Inspector General l.43, The Inspector General’s l.53, the DHS IG
    #                      l.55, the Office of the Inspector General l.56, the IG ×2 l.59,
    #                      the OIG l.60 (the bare titles link because l.43 names the DHS OIG)
    # 5 — Wyden: financial records
    (5, "ice", 16),
    (5, "hsi", 18),  # not "HST" or "HS" (l.77)
    (5, "dhs", 4),  # l.73 ×2, l.77 ×2
    (5, "clear", 1),  # "the CLEAR database run by Thomson Reuters" l.65
    (5, "thomson-reuters", 1),
    (5, "trac", 1),  # "Transaction Record Analysis Center (TRAC)" l.67: one mention
    (5, "maxitransfers", 3),  # Maxitransfers Corporation l.66, Maxi l.67, Maxitransfers l.75
    (5, "western-union", 3),  # l.66, 67, 74
    (5, "arizona-attorney-general", 1),  # l.74
    (5, "hsi-money-transfer-summonses", 6),  # self-issued administrative subpoenas l.66,
    #   administrative subpoenas l.67, administrative subpoena l.67, l.71, bulk summonses l.73
    #   (the anchor that lets the generic forms link), self-issued subpoenas l.75
    # 6 — HSI wants out
    (6, "ice", 19),
    (6, "hsi", 9),
    (6, "dhs", 3),  # Department of Homeland Security l.83, DHS Secretary, DHS officials l.85
    # 7 — body cameras
    (7, "ice", 15),  # incl. "the ICE pilot program" (l.101): ICE, then the program
    (7, "doj", 6),  # Department of Justice l.93, DOJ ×5
    (7, "dhs", 4),  # l.96, 97, 99, 101
    (7, "hsi", 1),  # l.98
    (7, "atf", 1),  # l.96
    (7, "body-worn-camera-pilot", 3),  # "pilot program" l.97, "ICE pilot program" l.101, "expand
    #   the pilot" (the alias "the pilot", bound to a text that names it); never "Body Worn
    #   Camera(s)" (the device, l.103-107)
    (7, "doj-body-camera-grant-program", 1),  # "body cam grant program" l.94
    # 8 — utility records
    (8, "ice", 5),  # ICE’s (Immigration and Customs Enforcement) once, poor old ICE l.114, l.115,
    #                 U.S. Immigration and Customs Enforcement l.117, agencies like ICE l.118
    (8, "clear", 2),  # l.116, 118
    (8, "thomson-reuters", 4),  # Reuters l.115, Thomson Reuters l.116, Reuters’ l.118, l.119
    (8, "equifax", 4),  # l.115, 116, 118, 126
    (8, "nctue", 2),  # definition l.118 counts once, "The NCTUE told" l.118
    (8, "cfpb", 3),  # "Consumer Finance Protection Board" l.119, CFPB l.120, 124
    # 9 — Google, Amazon, Microsoft
    (9, "ice", 8),
    (9, "cbp", 7),
    (9, "amazon", 7),  # incl. AWS l.141 and Amazon’s l.142
    (9, "google", 10),
    (9, "microsoft", 7),  # incl. MSFT l.141
    (9, "raven", 1),  # RAVEn (Repository for …) l.138: one mention
    (9, "panamerica-computers", 1),
    (9, "four-points-technology", 1),
    (9, "systems-engineering-solutions", 1),
    # 10 — Claudio Rojas
    (10, "ice", 16),
    (10, "eleventh-circuit", 1),  # "Eleventh Circuit Appeals Court" l.145
    (10, "supreme-court", 1),  # "Supreme Court’s ruling" l.156
]

# What each article must NOT link, with the words that might tempt a linker.
MUST_NOT_LINK = [
    (1, "clear", "clearly fake"),
    (4, "clear", "made it clear"),
    (6, "clear", "it’s clear"),
    (10, "clear", "a clear retaliation"),
    (2, "trac", "ICE tracks the movements"),
    (8, "trac", "to track down immigrants"),
    (1, "dhs", "—"),
    (2, "cbp", "the “customs” part"),
    (6, "dhs-oig", "DHS Secretary"),
    (7, "dhs-oig", "—"),
    (3, "hsi", "—"),
    (10, "dhs", "—"),
    (9, "apple", "—"),
    (8, "hsi", "—"),
]


def _mention(article: int, entity: str) -> Mention | None:
    return Mention.objects.filter(
        article__slug=SLUG_BY_NUMBER[article], entity__slug=entity
    ).first()


def _spans(article: int, entity: str) -> list[str]:
    m = _mention(article, entity)
    if m is None:
        return []
    body = m.article.body
    return [body[s:e] for s, e in m.spans]


@pytest.mark.parametrize("article, entity, expected", MUST_LINK)
def test_article_links(seeded, article, entity, expected):
    m = _mention(article, entity)
    assert m is not None, f"article {article} does not link {entity}"
    # A definition whose bracket closes later ("HSI [Homeland Security Investigations — ...]")
    # is two spans (so each link is balanced) but one mention.
    assert m.count <= len(m.spans)
    if expected != PRESENT:
        assert m.count == expected, [m.article.body[s:e] for s, e in m.spans]


@pytest.mark.parametrize("article, entity, tempting_words", MUST_NOT_LINK)
def test_article_does_not_link(seeded, article, entity, tempting_words):
    assert Entity.objects.filter(slug=entity).exists(), f"{entity} is not in the catalogue"
    if tempting_words != "—":
        assert tempting_words in Article.objects.get(slug=SLUG_BY_NUMBER[article]).body
    assert _mention(article, entity) is None


def test_ice_is_linked_in_all_ten_articles(seeded):
    linked = set(Mention.objects.filter(entity__slug="ice").values_list("article__slug", flat=True))
    assert linked == ALL


@pytest.mark.parametrize(
    "entity, only_in",
    [
        ("clear", {5, 8}),  # lower-case clear/clearly is in 1, 4, 6, 8, 10
        ("trac", {5}),  # track/tracks/tracked is in 2, 5, 8
        ("cfpb", {8}),
        ("maxitransfers", {5}),
        ("raven", {9}),
        ("dmv-face-recognition", {2}),
        ("body-worn-camera-pilot", {7}),
        ("hsi-money-transfer-summonses", {5}),
        ("nctue", {8}),
        ("amazon", {3, 9}),
    ],
)
def test_entity_is_linked_only_in(seeded, entity, only_in):
    linked = set(
        Mention.objects.filter(entity__slug=entity).values_list("article__slug", flat=True)
    )
    assert linked == {SLUG_BY_NUMBER[n] for n in only_in}


def test_lower_case_clear_is_in_the_articles_that_must_not_link_clear(seeded):
    for n in (1, 4, 6, 10):
        assert re.search(r"\bclear", Article.objects.get(slug=SLUG_BY_NUMBER[n]).body)
    # In 8, "clearly"/"clear" stand beside CLEAR: only the capitals are spans.
    assert _spans(8, "clear") == ["CLEAR", "CLEAR"]
    assert re.search(r"\bclearly\b", Article.objects.get(slug=SLUG_BY_NUMBER[8]).body)


# ---------------------------------------------------------------------------------------------
# The traps, one by one, on the stored spans
# ---------------------------------------------------------------------------------------------
def _span_at(article: int, entity: str, phrase: str, occurrence: int = 0) -> str | None:
    """The entity's span starting where `phrase` starts (its n-th occurrence), if any."""
    m = _mention(article, entity)
    body = Article.objects.get(slug=SLUG_BY_NUMBER[article]).body
    starts = [x.start() for x in re.finditer(re.escape(phrase), body)]
    assert len(starts) > occurrence, f"{phrase!r} not in article {article}"
    pos = starts[occurrence]
    for s, e in m.spans if m else []:
        if s == pos:
            return body[s:e]
    return None


def _closes(span: str | None, expected: str) -> bool:
    """A definition span may or may not take in its closing bracket."""
    return span is not None and span in (expected, expected + ")", expected + "]")


class Span(NamedTuple):
    """A span the linker must store: in which article, for which entity, starting where
    `phrase` starts, and its text."""

    article: int
    entity: str
    phrase: str
    text: str


# fmt: off
SPANS = [
    # Inline definitions: one span covering both names, in both directions.
    Span(2, "ice", "Immigration and Customs Enforcement (ICE)", "Immigration and Customs Enforcement (ICE"),
    Span(9, "ice", "ICE (Immigration and Customs Enforcement)", "ICE (Immigration and Customs Enforcement"),
    Span(9, "cbp", "CBP (Customs and Border Protection)", "CBP (Customs and Border Protection"),
    Span(3, "cbp", "Customs and Border Protection (CBP)", "Customs and Border Protection (CBP"),
    Span(3, "nara", "National Archives and Records Administration (NARA)", "National Archives and Records Administration (NARA"),
    Span(6, "hsi", "Homeland Security Investigations (HSI)", "Homeland Security Investigations (HSI"),
    Span(5, "trac", "Transaction Record Analysis Center (TRAC)", "Transaction Record Analysis Center (TRAC"),
    Span(8, "nctue", "National Consumer Telecom", "National Consumer Telecom & Utilities Exchange (NCTUE"),
    Span(9, "raven", "RAVEn (", "RAVEn (Repository for Analytics in a Virtualized Environment"),
    Span(2, "gao", "Government Accountability Office (GAO)", "Government Accountability Office (GAO"),
    Span(2, "dmv", "Department of Motor Vehicle (DMV)", "Department of Motor Vehicle (DMV"),
    # "HSI [Homeland Security Investigations — a division of ICE]": one HSI mention in two
    # balanced spans (the bracket closes after the aside), and ICE once.
    Span(5, "hsi", "HSI [Homeland", "HSI"),
    Span(5, "hsi", "Homeland Security Investigations —", "Homeland Security Investigations"),
    Span(5, "ice", "ICE]", "ICE"),
    # The U.S. prefix belongs to the name.
    Span(6, "ice", "U.S. Immigration and Customs Enforcement", "U.S. Immigration and Customs Enforcement"),
    Span(8, "ice", "U.S. Immigration and Customs Enforcement", "U.S. Immigration and Customs Enforcement"),
    Span(8, "ice", "ICE’s (Immigration", "ICE’s (Immigration and Customs Enforcement"),
    Span(10, "ice", "U.S. Immigration and Customs Enforcement (ICE)", "U.S. Immigration and Customs Enforcement (ICE"),
    Span(3, "cbp", "U.S. Customs and Border Protection", "U.S. Customs and Border Protection"),
    # Homeland Security Investigations is HSI, not DHS.
    Span(6, "hsi", "Homeland Security Investigations say", "Homeland Security Investigations"),
    Span(7, "hsi", "Homeland Security Investigations in Houston", "Homeland Security Investigations"),
    # Possessives count.
    Span(4, "ice", "ICE’s contractor", "ICE"),
    Span(2, "ice", "ICE’s surveillance dragnet", "ICE"),
    Span(6, "hsi", "HSI’s affiliation", "HSI"),
    Span(9, "amazon", "Amazon’s", "Amazon"),
    Span(4, "dhs-oig", "Inspector General’s", "Inspector General"),
    # Reuters’ CLEAR database: both.
    Span(8, "thomson-reuters", "Reuters’ CLEAR", "Reuters"),
    Span(8, "clear", "CLEAR database, which means", "CLEAR"),
    # Misspelt by the source, still the CFPB.
    Span(8, "cfpb", "Consumer Finance Protection Board", "Consumer Finance Protection Board"),
    # Short forms.
    Span(5, "maxitransfers", "Maxi provided", "Maxi"),
    Span(5, "maxitransfers", "Maxitransfers Corporation", "Maxitransfers Corporation"),
    Span(9, "amazon", "AWS", "AWS"),
    Span(9, "microsoft", "MSFT", "MSFT"),
    Span(4, "dhs-oig", "DHS IG", "DHS IG"),
    Span(4, "dhs-oig", "OIG inspector", "OIG"),
    Span(10, "ice", "Immigration and Customs and Enforcement", "Immigration and Customs and Enforcement"),
    # Longest wins: the program, not its operator.
    # A program named after its operator: the operator, then the program.
    Span(7, "ice", "ICE pilot program", "ICE"),
    Span(7, "body-worn-camera-pilot", "pilot program that", "pilot program"),
    Span(7, "body-worn-camera-pilot", "pilot program.", "pilot program"),
    Span(2, "dmv-face-recognition", "face recognition scans of DMV photos", "face recognition scans of DMV photos"),
    Span(9, "panamerica-computers", "Panamerica", "Panamerica Computers, Inc."),
    Span(9, "four-points-technology", "Four Points", "Four Points Technology, LLC"),
    Span(5, "hsi-money-transfer-summonses", "self-issued administrative subpoenas", "self-issued administrative subpoenas"),
    # Hyphenated words: still the name.
    Span(3, "amazon", "Amazon-owned", "Amazon"),
    Span(6, "hsi", "HSI-ICE", "HSI"),
    Span(6, "ice", "ICE divorce", "ICE"),
]
# fmt: on


@pytest.mark.parametrize(
    "span", SPANS, ids=lambda span: f"{span.article}-{span.entity}-{span.phrase}"
)
def test_span(seeded, span):
    assert _closes(_span_at(span.article, span.entity, span.phrase), span.text)


@pytest.mark.parametrize(
    "article, entity, phrase",
    [
        # The inner name of a definition is not a second mention.
        (2, "ice", "ICE) has long"),
        (9, "ice", "Immigration and Customs Enforcement) and"),
        (3, "cbp", "CBP) —"),
        (6, "hsi", "HSI) agents"),
        (5, "trac", "TRAC)"),
        (10, "ice", "ICE) during"),
        # Homeland Security Investigations is not the Department of Homeland Security.
        (6, "dhs", "Homeland Security Investigations say"),
        (7, "dhs", "Homeland Security Investigations in Houston"),
        (5, "dhs", "Homeland Security Investigations —"),
        # The device is not the program.
        (7, "body-worn-camera-pilot", "Body Worn Camera is activated"),
        (7, "body-worn-camera-pilot", "Body Worn Cameras will not"),
        (7, "body-worn-camera-pilot", "Body Worn Camera recordings will"),
        # DHS Inspector General is the OIG, not DHS.
        (4, "dhs", "DHS Inspector General"),
        # Thomson Reuters once, not Reuters again.
        (8, "thomson-reuters", "Reuters uses"),
    ],
)
def test_no_span(seeded, article, entity, phrase):
    assert _span_at(article, entity, phrase) is None


@pytest.mark.parametrize("typo", ["HST or DHS", "contacted HS to"])
def test_typos_link_nothing(seeded, typo):
    a = Article.objects.get(slug=SLUG_BY_NUMBER[5])
    pos = a.body.index(typo)
    for m in Mention.objects.filter(article=a):
        for s, e in m.spans:
            assert not (s <= pos < e), (m.entity.slug, a.body[s:e])
    assert _span_at(5, "dhs", "DHS headquarters and HSI never") == "DHS"


def test_hsi_spans_in_article_5_are_hsi_only(seeded):
    spans = _spans(5, "hsi")
    assert spans.count("HSI") == 18
    assert [x for x in spans if x != "HSI"] == ["Homeland Security Investigations"]
    assert _mention(5, "hsi").count == 18  # the bracketed definition counts once


def test_ice_possessive_definition_counts_once(seeded):
    # l.114 ICE’s (Immigration and Customs Enforcement), poor old ICE; l.115 ICE has just lost;
    # l.117 U.S. Immigration and Customs Enforcement; l.118 agencies like ICE.
    assert _mention(8, "ice").count == 5


# ---------------------------------------------------------------------------------------------
# Every stored span spells one of its entity's names
# ---------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    text = fold_quotes(text).replace("—", "-").replace("–", "-")
    return re.sub(r"\s+", " ", text).strip()


def _names(entity: Entity) -> tuple[set[str], set[str]]:
    """(case-sensitive names, case-folded names), normalised. An alias's leading "the" is
    context, not span; a program's name that opens with its operator's spans the rest."""
    exact, folded = set(), set()
    names = list(entity.names())
    for text, cs in list(names):
        if re.match(r"(?i)the\s", text):
            names.append((text[4:], cs))
        if entity.kind == "program" and len(text.split()) > 1:
            names.append((text.split(None, 1)[1], cs))
    for text, cs in names:
        cs = cs or is_acronym_like(text)
        (exact if cs else folded).add(_norm(text) if cs else _norm(text).casefold())
    return exact, folded


def _is_name(text: str, exact: set[str], folded: set[str]) -> bool:
    text = _norm(text)
    candidates = {text}
    m = re.fullmatch(r"(?:U\.S\.|US) (.+)", text)
    if m:
        candidates.add(m.group(1))
    return any(c in exact or c.casefold() in folded for c in candidates)


def _spells_entity(text: str, entity: Entity) -> bool:
    exact, folded = _names(entity)
    if _is_name(text, exact, folded):
        return True
    # A definition: two names joined by "(" or "[", optionally closed.
    parts = re.split(r"\s*[(\[]\s*", text.rstrip(")]").rstrip(), maxsplit=1)
    if len(parts) == 2:
        parts[0] = re.sub(r"['’]s$", "", parts[0])  # "ICE’s (Immigration and ...)"
    return len(parts) == 2 and all(_is_name(p, exact, folded) for p in parts)


def test_every_span_is_a_name_of_its_entity(seeded):
    bad = []
    total = 0
    for m in Mention.objects.select_related("article", "entity"):
        for s, e in m.spans:
            total += 1
            text = m.article.body[s:e]
            if not _spells_entity(text, m.entity):
                bad.append((m.article.slug, m.entity.slug, text))
    assert total > 300
    assert bad == []


def test_spans_are_sorted_distinct_and_never_overlap(seeded):
    for a in Article.objects.all():
        spans = sorted(tuple(sp) for m in a.mentions.all() for sp in m.spans)
        assert all(0 <= s < e <= len(a.body) for s, e in spans)
        for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
            assert e1 <= s2, (a.slug, a.body[s1:e1], a.body[s2:e2])
        for m in a.mentions.all():
            assert m.spans == sorted(m.spans)
            assert m.count <= len(m.spans)


def test_spans_never_cross_a_paragraph_in_the_seed(seeded):
    for m in Mention.objects.select_related("article"):
        for s, e in m.spans:
            assert "\n" not in m.article.body[s:e]


# ---------------------------------------------------------------------------------------------
# Linker unit tests on short strings (a Linker built from the catalogue in spec, no database)
# ---------------------------------------------------------------------------------------------
def catalogue_entries() -> tuple[list[Entry], dict[int, str]]:
    """The catalogue in spec as archive.names.linker.catalogue_names reads it from the
    database: name, acronym (flagged case-sensitive), aliases, acronym_aliases (flagged)."""
    entries, slugs = [], {}
    for i, e in enumerate(ENTITIES, 1):
        slugs[i] = e["slug"]
        names = [(e["name"], False)] + ([(e["acronym"], True)] if e.get("acronym") else [])
        names += [(a, False) for a in e.get("aliases", [])]
        names += [(a, True) for a in e.get("acronym_aliases", [])]
        entries.append(Entry(i, e["kind"], names))
    return entries, slugs


def _catalogue_linker() -> tuple[Linker, dict[int, str]]:
    """Names exactly as archive.names.linker.build_linker makes them (compile_names)."""
    entries, slugs = catalogue_entries()
    return Linker(compile_names(entries)), slugs


LINKER, LINKER_SLUGS = _catalogue_linker()


def found(text: str, linker: Linker = LINKER, slugs: dict | None = None) -> list[tuple[str, str]]:
    slugs = slugs or LINKER_SLUGS
    hits = sorted((s, e, slugs[k]) for k, f in linker.find(text).items() for s, e in f.spans)
    return [(slug, text[s:e]) for s, e, slug in hits]


def _same(actual: list, expected: list) -> bool:
    """Equal, allowing a definition's span to take in its closing bracket or not."""
    return len(actual) == len(expected) and all(
        a_slug == x_slug and (a == x or a in (x + ")", x + "]"))
        for (a_slug, a), (x_slug, x) in zip(actual, expected, strict=True)
    )


# (text, [(entity, matched text), ...])
# fmt: off
LINKER_CASES = [
    # Case: acronyms and short forms are case-sensitive, names are not.
    ("ICE agents", [("ice", "ICE")]),
    ("ice agents", []),
    ("Ice agents", []),
    ("on thin ice", []),
    ("the CLEAR database", [("clear", "CLEAR")]),
    ("clear", []),
    ("clearly", []),
    ("Clear skies", []),
    ("TRAC", [("trac", "TRAC")]),
    ("track", []),
    ("tracks", []),
    ("Trac", []),
    ("transaction record analysis center", [("trac", "transaction record analysis center")]),
    ("immigration and customs enforcement", [("ice", "immigration and customs enforcement")]),
    ("AWS", [("amazon", "AWS")]),
    ("aws", []),
    ("MSFT", [("microsoft", "MSFT")]),
    ("Maxi provided", [("maxitransfers", "Maxi")]),
    ("maxi dress", []),
    ("HSI agents", [("hsi", "HSI")]),
    ("hsi agents", []),
    # Apostrophes: curly and straight alike; the possessive is still the name.
    ("ICE’s dragnet", [("ice", "ICE")]),
    ("ICE's dragnet", [("ice", "ICE")]),
    ("ICE‘s dragnet", [("ice", "ICE")]),
    ("Reuters’ CLEAR database", [("thomson-reuters", "Reuters"), ("clear", "CLEAR")]),
    ("Reuters' CLEAR database", [("thomson-reuters", "Reuters"), ("clear", "CLEAR")]),
    ("Amazon’s, Google’s, and Microsoft’s names", [("amazon", "Amazon"), ("google", "Google"), ("microsoft", "Microsoft")]),
    # Longest wins.
    ("Homeland Security Investigations", [("hsi", "Homeland Security Investigations")]),
    ("Department of Homeland Security", [("dhs", "Department of Homeland Security")]),
    ("Thomson Reuters", [("thomson-reuters", "Thomson Reuters")]),
    ("Amazon Web Services", [("amazon", "Amazon Web Services")]),
    ("DHS Inspector General", [("dhs-oig", "DHS Inspector General")]),
    ("the Office of the Inspector General", []),  # a title every agency has: needs its anchor
    ("DHS IG; the Office of the Inspector General", [("dhs-oig", "DHS IG"), ("dhs-oig", "Office of the Inspector General")]),
    ("The Department of Homeland Security's Office of Inspector General found", [("dhs-oig", "Department of Homeland Security's Office of Inspector General")]),
    ("an apple pie", []),
    ("Apple’s blessing", [("apple", "Apple")]),
    ("Maxitransfers Corporation", [("maxitransfers", "Maxitransfers Corporation")]),
    ("the ICE pilot program", [("ice", "ICE"), ("body-worn-camera-pilot", "pilot program")]),
    ("ice pilot program", []),
    ("Once a Body Worn Camera is activated", []),
    ("Body Worn Cameras will not be used", []),
    ("Panamerica Computers, Inc.", [("panamerica-computers", "Panamerica Computers, Inc.")]),
    ("Eleventh Circuit Appeals Court", [("eleventh-circuit", "Eleventh Circuit Appeals Court")]),
    # The U.S. prefix belongs to the name.
    ("U.S. Immigration and Customs Enforcement", [("ice", "U.S. Immigration and Customs Enforcement")]),
    ("US Customs and Border Protection", [("cbp", "US Customs and Border Protection")]),
    ("U.S. Customs and Border Protection", [("cbp", "U.S. Customs and Border Protection")]),
    ("the US government", []),
    # Inline definitions, both directions: one mention.
    ("Immigration and Customs Enforcement (ICE)", [("ice", "Immigration and Customs Enforcement (ICE")]),
    ("ICE (Immigration and Customs Enforcement)", [("ice", "ICE (Immigration and Customs Enforcement")]),
    ("U.S. Immigration and Customs Enforcement (ICE)", [("ice", "U.S. Immigration and Customs Enforcement (ICE")]),
    ("Transaction Record Analysis Center (TRAC)", [("trac", "Transaction Record Analysis Center (TRAC")]),
    ("RAVEn (Repository for Analytics in a Virtualized Environment)", [("raven", "RAVEn (Repository for Analytics in a Virtualized Environment")]),
    ("HSI [Homeland Security Investigations — a division of ICE]", [("hsi", "HSI"), ("hsi", "Homeland Security Investigations"), ("ice", "ICE")]),
    ("Homeland Security Investigations (HSI)", [("hsi", "Homeland Security Investigations (HSI")]),
    ("Department of Motor Vehicle (DMV)", [("dmv", "Department of Motor Vehicle (DMV")]),
    # Parentheses that are not a definition.
    ("ICE (and its private prison partner CoreCivic)", [("ice", "ICE"), ("corecivic", "CoreCivic")]),
    ("ICE (CBP)", [("ice", "ICE"), ("cbp", "CBP")]),
    ("ICE and ICE", [("ice", "ICE"), ("ice", "ICE")]),
    ("ICE. ICE", [("ice", "ICE"), ("ice", "ICE")]),
    # Word boundaries.
    ("ICEland", []),
    ("DEICE", []),
    ("TRACK", []),
    ("CLEARLY", []),
    ("NSAID", []),
    ("Googled", []),
    ("Amazon-owned", [("amazon", "Amazon")]),
    ("HSI-ICE divorce", [("hsi", "HSI"), ("ice", "ICE")]),
    ("ICE—CBP", [("ice", "ICE"), ("cbp", "CBP")]),
    ("(ICE)", [("ice", "ICE")]),
    ("“ICE refrains", [("ice", "ICE")]),
    # Typos and misspellings.
    ("Consumer Finance Protection Board", [("cfpb", "Consumer Finance Protection Board")]),
    ("Immigration and Customs and Enforcement", [("ice", "Immigration and Customs and Enforcement")]),
    ("HST or DHS headquarters", [("dhs", "DHS")]),
    ("contacted HS to request", []),
    # Whitespace and dashes inside a name.
    ("Immigration  and\tCustoms Enforcement", [("ice", "Immigration  and\tCustoms Enforcement")]),
    ("self-issued administrative subpoenas", []),  # any agency's, unless the text names the program
    ("bulk summonses, self-issued administrative subpoenas", [("hsi-money-transfer-summonses", "bulk summonses"), ("hsi-money-transfer-summonses", "self-issued administrative subpoenas")]),
    ("an administrative subpoena", []),
]
# fmt: on


@pytest.mark.parametrize("text, expected", LINKER_CASES)
def test_linker(text, expected):
    assert _same(found(text), expected), found(text)


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("Macy's", "Macy’s store", ["Macy’s"]),
        ("Macy's", "Macy's store", ["Macy's"]),
        ("Macy’s", "Macy's store", ["Macy's"]),
        ("Macy’s", "Macy‘s store", ["Macy‘s"]),
        ("Macy's", "macy's store", ["macy's"]),
        ("Macy's", "Macys store", []),
    ],
)
def test_linker_apostrophes_in_names(name, text, expected):
    linker = Linker([Name(name, 1, False)])
    assert found(text, linker, {1: "x"}) == [("x", t) for t in expected]


def test_linker_case_sensitive_flag():
    linker = Linker([Name("CLEAR", 1, True), Name("Clearview AI", 2, False)])
    slugs = {1: "clear", 2: "clearview"}
    assert found("CLEAR and clearview ai and clear", linker, slugs) == [
        ("clear", "CLEAR"),
        ("clearview", "clearview ai"),
    ]


def test_linker_counts_and_spans():
    text = "ICE (Immigration and Customs Enforcement) said ICE’s HSI [Homeland Security Investigations] and ICE"
    result = LINKER.find(text)
    by_slug = {LINKER_SLUGS[k]: f for k, f in result.items()}
    assert by_slug["ice"].count == 3
    assert by_slug["hsi"].count == 1
    assert by_slug["ice"].spans == sorted(by_slug["ice"].spans)


def test_empty_linker_finds_nothing():
    assert Linker([]).find("ICE") == {}
    assert Linker([Name("  ", 1, False)]).find("anything") == {}


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Wyden wrote to ICE\n(Immigration and Customs Enforcement officials declined.)",
            [("ice", "ICE"), ("ice", "Immigration and Customs Enforcement")],
        ),
        ("agents in the US\nICE said", [("ice", "ICE")]),
    ],
)
def test_linker_never_crosses_a_paragraph(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("apostrophe", ["’", "'"])
def test_linker_possessive_definition_is_one_mention(apostrophe):
    text = f"Another one of ICE{apostrophe}s (Immigration and Customs Enforcement) data spigots"
    assert _same(found(text), [("ice", f"ICE{apostrophe}s (Immigration and Customs Enforcement")])
