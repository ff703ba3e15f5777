# ruff: noqa: E501  (one name per row reads best)
"""Discovery on material written for it (tests/data/discovery_*.md): organisations named
without a suffix or a bracketed acronym, appositives and roles, acronyms defined in one
article and used in another, names that extend a catalogue name. Each row was written from
a reading of the articles: what a reader sees as a new organisation, and its kind.

Names are compared without a leading "The" ("The Markup" is found as "Markup").
"""

import json
import time
from pathlib import Path

import pytest

from archive.ingest import discovery
from archive.ingest.readers import load_manifest, read_markdown, read_path
from archive.names.linker import Entry, Linker, build_linker, compile_names
from archive.names.text import fold_key

from .spec import FIXTURES, SEED_FILE

DATA = Path(__file__).resolve().parent / "data"
TUNED = ["data_brokers", "watchdogs", "cameras", "airports", "outlets"]
HELD_OUT = "heldout"  # written after the rules were, and never tuned on (see EXPECTED_HELD_OUT)


def _body(stem: str) -> str:
    return read_markdown(DATA / f"discovery_{stem}.md")[0].body


BODIES = {stem: _body(stem) for stem in [*TUNED, HELD_OUT]}
# Acronyms defined anywhere in the archive (here: the material's articles).
DEFINED = discovery.definitions(BODIES[s] for s in TUNED)

# What a reader sees: (article, name, kind). Names the catalogue knows are in KNOWN instead.
# fmt: off
EXPECTED = [
    ("data_brokers", "Babel Street", "contractor"),  # "Babel Street, a data broker"
    ("data_brokers", "Electronic Frontier Foundation", "organization"),  # "(EFF)" defined here
    ("data_brokers", "Carahsoft", "contractor"),  # "Carahsoft, a reseller"
    ("data_brokers", "Locate X", "program"),  # "The broker's product, Locate X"
    ("data_brokers", "Fight for the Future", "organization"),  # "The nonprofit Fight for the Future": in full
    ("data_brokers", "Venntel", "contractor"),  # "Venntel, a subsidiary of ..."
    ("data_brokers", "Gravy Analytics", "contractor"),
    ("watchdogs", "Brennan Center for Justice", "organization"),  # in full, not "Brennan Center"
    ("watchdogs", "Los Angeles Police Department", "agency"),
    ("watchdogs", "ShadowDragon", "contractor"),  # "ShadowDragon, a company that ..."
    ("watchdogs", "Electronic Frontier Foundation", "organization"),  # "As the EFF noted": defined in data_brokers
    ("watchdogs", "Mijente", "organization"),  # "Mijente, an advocacy group"
    ("watchdogs", "Office of Intelligence and Analysis", "agency"),
    ("cameras", "Axon Enterprise", "contractor"),  # "Axon Enterprise sold ..."
    ("cameras", "Phoenix Police Department", "agency"),
    ("cameras", "Shi International", "contractor"),  # "Shi International, a reseller"
    ("cameras", "Motorola Solutions", "contractor"),
    ("cameras", "Police Executive Research Forum", "organization"),  # "(PERF)" defined here
    ("cameras", "American Civil Liberties Union", "organization"),
    ("airports", "Electronic Privacy Information Center", "organization"),  # "(EPIC)" defined here
    ("airports", "Transportation Security Administration", "agency"),  # and "the TSA said": one body
    ("airports", "Police Executive Research Forum", "organization"),  # "PERF guidance": defined in cameras
    ("airports", "Palantir", "contractor"),  # "Palantir, the data analytics company"
    ("outlets", "Markup", "organization"),  # "The Markup first reported"
    ("outlets", "Chicago Police Department", "agency"),
    ("outlets", "ShotSpotter", "contractor"),  # "its contract with ShotSpotter"
    ("outlets", "Chicago Sun-Times", "organization"),  # "According to the Chicago Sun-Times"
    ("outlets", "SoundThinking", "contractor"),  # "the city paid SoundThinking"
    ("outlets", "MacArthur Justice Center", "organization"),  # not cut at "Justice"
    ("outlets", "Northwestern University", "organization"),
    ("outlets", "Electronic Privacy Information Center", "organization"),  # "The EPIC brief": defined in airports
]

# Names that name or extend a catalogue entity: linked to it, never suggested.
KNOWN = [
    ("data_brokers", "Government Accountability Office", "gao"),
    ("watchdogs", "Department of Homeland Security's Office of Inspector General", "dhs-oig"),  # in full
    ("cameras", "Equifax Inc.", "equifax"),
    ("cameras", "Thomson Reuters Special Services", "thomson-reuters"),  # extends Thomson Reuters
]

# The held-out article: every organisation a reader sees, and whether discovery finds it
# (True/False), as measured when it was first run (6 of 7 right, 6 of 13 found), after two
# general fixes it showed (a run crossing a sentence end; a name found inside a longer one:
# precision 8/8, recall 8/13), and after two more (a clause that says it sells; "a
# partnership with"), which are the rows below: 10/10, 10/13. It is no longer blind: the
# blind articles below (tests/data/discovery_blind*.md) measure what it cannot.
EXPECTED_HELD_OUT = [
    ("Clearview AI", "contractor", True),  # "Clearview AI, the facial recognition startup"
    ("Miami Police Department", "agency", True),
    ("Facebook", "contractor", False),  # "photos from Facebook and Instagram": no role, no verb
    ("Instagram", "program", False),
    ("Privacy International", "organization", False),  # "Privacy International filed complaints"
    ("Surveillance Technology Oversight Project", "organization", True),
    ("BuzzFeed News", "organization", True),
    ("Federal Bureau of Investigation", "agency", True),  # in full, not "Bureau of Investigation"
    ("Flock Safety", "contractor", True),  # "Flock Safety, which sells ...": the clause sells
    ("Ring", "contractor", True),  # "Ring, the doorbell maker"
    ("Axon", "contractor", True),  # "its partnership with Axon"
    ("House Oversight Committee", "organization", True),
    ("Rekor Systems", "contractor", True),
]
# fmt: on

# fmt: off
CATALOGUE = [  # a fixed catalogue for KNOWN, so the table never depends on today's fixture
    Entry(1, "agency", [("U.S. Government Accountability Office", False), ("GAO", True), ("Government Accountability Office", False)]),
    Entry(2, "agency", [("DHS Office of Inspector General", False), ("Department of Homeland Security's Office of Inspector General", False)]),
    Entry(3, "contractor", [("Equifax", False)]),
    Entry(4, "contractor", [("Thomson Reuters", False), ("Reuters", False)]),
    Entry(5, "agency", [("U.S. Immigration and Customs Enforcement", False), ("ICE", True)]),
    Entry(6, "agency", [("U.S. Department of Homeland Security", False), ("DHS", True), ("Department of Homeland Security", False)]),
    Entry(7, "agency", [("U.S. Customs and Border Protection", False), ("CBP", True), ("Customs and Border Protection", False)]),
]
# fmt: on
SLUGS = {1: "gao", 2: "dhs-oig", 3: "equifax", 4: "thomson-reuters", 5: "ice", 6: "dhs", 7: "cbp"}
LINKER = Linker(compile_names(CATALOGUE))


def _key(name: str) -> str:
    key = fold_key(name)
    return key[4:] if key.startswith("the ") else key


def _suggested(stem: str) -> tuple[set, set]:
    new, known = discovery.suggest(BODIES[stem], LINKER, DEFINED)
    return (
        {(_key(c.name), c.suggested_kind) for c in new},
        {(_key(c.name), SLUGS[e]) for c, e in known},
    )


@pytest.mark.parametrize("stem", TUNED)
def test_discovery_suggests_what_a_reader_sees(stem):
    new, known = _suggested(stem)
    assert new == {(_key(n), k) for s, n, k in EXPECTED if s == stem}
    assert known == {(_key(n), e) for s, n, e in KNOWN if s == stem}


def test_discovery_precision_and_recall_on_the_material():
    found, expected = set(), {(s, _key(n), k) for s, n, k in EXPECTED}
    for stem in TUNED:
        found |= {(stem, n, k) for n, k in _suggested(stem)[0]}
    names = lambda rows: {(s, n) for s, n, _ in rows}  # noqa: E731
    right = names(found) & names(expected)
    precision, recall = len(right) / len(found), len(right) / len(expected)
    kinds_right = len(found & expected) / len(right)
    assert (precision, recall, kinds_right) == (1.0, 1.0, 1.0), (precision, recall, kinds_right)


def test_discovery_on_the_held_out_article():
    new, _ = discovery.suggest(BODIES[HELD_OUT], LINKER, DEFINED)
    found = {_key(c.name): c.suggested_kind for c in new}
    expected_found = {_key(n): k for n, k, hit in EXPECTED_HELD_OUT if hit}
    assert found == expected_found
    recall = len(expected_found) / len(EXPECTED_HELD_OUT)
    assert recall >= 0.75


def test_acronyms_defined_in_one_article_are_suggested_where_used_bare():
    assert DEFINED == {
        "EFF": "Electronic Frontier Foundation",
        "PERF": "Police Executive Research Forum",
        "EPIC": "Electronic Privacy Information Center",
    }
    used = discovery.find(BODIES["outlets"], DEFINED)
    epic = [c for c in used if c.acronym == "EPIC"]
    assert [(c.name, c.suggested_kind) for c in epic] == [
        ("Electronic Privacy Information Center", "organization")
    ]
    assert "EPIC brief" in epic[0].passage
    # Without the archive's definitions, a bare acronym with no role is not a name.
    assert not [c for c in discovery.find(BODIES["outlets"]) if c.acronym == "EPIC"]


@pytest.mark.parametrize(
    "text, expected",
    [
        # Full official names, never cut short.
        (
            "The Department of Homeland Security's Office of Inspector General found mold.",
            ["Department of Homeland Security's Office of Inspector General"],
        ),
        (
            "Records obtained by the Center on Privacy & Technology show it.",
            ["Center on Privacy & Technology"],
        ),
        (
            "The Department of Justice and the Department of Labor agreed.",
            ["Department of Justice", "Department of Labor"],
        ),
        # A campus is part of a university's name; "at" joins nothing else.
        (
            "Researchers at the University of Texas at Austin found it.",
            ["University of Texas at Austin"],
        ),
        (
            "A study by the University of California at Berkeley. Then more.",
            ["University of California at Berkeley"],
        ),
        ("Jane Doe at Acme Analytics Inc. said so.", ["Acme Analytics Inc."]),
        # A translated name with its own language's acronym.
        (
            "It shared results with Mexico's Secretariat of National Defense (SEDENA) in May.",
            ["Secretariat of National Defense"],
        ),
        ("Russia's Federal Security Service (FSB) denied it.", ["Federal Security Service"]),
        # A product named by what it is, before "called", "dubbed", "known as".
        ("The system, called FaceLink, is sold to police.", ["FaceLink"]),
        ("Deputies used a tool known as Fog Reveal for years.", ["Fog Reveal"]),
        ("The man called Bob left early.", []),
        ("The service called Mayor Adams' office.", []),
        ("The database named Palantir as its supplier.", []),
        ("Officers used an app called Wickr to chat.", ["Wickr"]),
        # ... and a bracket that is not the name's own acronym, nor words before the name.
        ("Microsoft and the Department of Defense (DoD) signed it.", ["Department of Defense"]),
        ("In January the Department of Defense (DoD) said so.", ["Department of Defense"]),
        ("The Ministry of the Interior (MOI) said so.", ["Ministry of the Interior"]),
        ("See the Department of Justice (PDF) filing.", ["Department of Justice"]),
        ("The Minneapolis Police Department (AP) said so.", ["Minneapolis Police Department"]),
        # "at" is a campus only after "University of X" / "College of X".
        ("Stanford University at ICE's request studied it.", ["Stanford University"]),
        ("Northeastern University at Monday's hearing spoke.", ["Northeastern University"]),
        (
            "The University of Maryland at College Park said so.",
            ["University of Maryland at College Park"],
        ),
        ("She is known as Jane Roe in the filings.", []),
        # Persons, titles, sentence openers and generic titles are not organisations.
        ("According to Jane Doe, the cameras work.", []),
        ("Federal Trade Commission Chair Lina Khan said so.", ["Federal Trade Commission"]),
        ("Sidestepping Supreme Court rulings is easy.", ["Supreme Court"]),
        ("The Office of the Inspector General declined to comment.", []),
        ("Google and Microsoft sold cloud services.", []),
        ("The Trump Administration expanded the program.", []),
        # A clause that says what it sells; a partnership or an agreement with a company.
        ("Fog Data Science, which sells location data to police, declined.", ["Fog Data Science"]),
        ("Banjo, which built the monitoring tool, lost the contract.", ["Banjo"]),
        ("The sheriff ended its partnership with Cellebrite last year.", ["Cellebrite"]),
        ("The county signed an agreement with Penlink in March.", ["Penlink"]),
        ("Monday, which was a holiday, passed quietly.", []),
        # A name and its bare acronym, used twice: one body (this text once crashed the
        # import: the second bare use met the first one's folded-away place).
        (
            "It’s an illegal collection, as the EFF explains: Melvin, a spokesperson for CBP, "
            "said the agency could not comment on pending litigation. According to internal "
            "emails, Electronic Frontier Foundation expanded the program last year. It’s an "
            "illegal collection, as the EFF explains: All recordings will be saved.",
            ["Electronic Frontier Foundation"],
        ),
    ],
)
def test_discovery_rows(text, expected):
    assert [c.name for c in discovery.find(text)] == expected


def test_discovery_is_fast():
    """Discovery runs on every imported article: per 600 words it must cost well under 1 ms
    of CPU on an ordinary core. Measured against a reference loop (a million integer
    additions, ~40 ms on an unloaded 3 GHz core) so a loaded test machine does not fail it."""
    manifest = load_manifest(FIXTURES / "articles.json")
    texts = [r.body for r in read_path(SEED_FILE, manifest)]  # ten real articles
    words = sum(len(t.split()) for t in texts)

    def best(f, n=5):
        times = []
        for _ in range(n):
            t = time.process_time()
            f()
            times.append(time.process_time() - t)
        return min(times)

    def reference():
        x = 0
        for i in range(1_000_000):
            x += i

    per_600 = best(lambda: [discovery.find(t, DEFINED) for t in texts]) / words * 600
    ref = best(reference, 3)
    assert per_600 * 0.040 / ref < 0.00075  # measured ~0.45 ms per 600 words on the reference core


# Blind articles: written by someone who never saw the rules, with every organisation a
# reader would want suggested (tests/data/discovery_blind_expected.json). First run:
# precision 19/23 (83%), recall 19/32 (59%). The misses it showed led to general rules
# ("and the" joins two names; courts and legislatures are organisations, as the catalogue
# files the Supreme Court and Congress; a short form of a name found in full; buying
# "data from" a company; "reported by" an outlet; a product named by what it is; "Center
# on Privacy and Technology" is one name), after which: precision 26/28, recall 26/32. Each
# expected name, found or not as measured now:
BLIND = json.loads((DATA / "discovery_blind_expected.json").read_text(encoding="utf-8"))
BLIND_MISSED = {
    ("blind2", "404 Media"),  # a name that starts with a digit
    ("blind2", "FBI"),  # a bare acronym in a list, never defined
}
# The kinds a reader gave that the catalogue files otherwise (committees, legislatures).
BLIND_KIND = {
    "Senate Judiciary Committee": "organization",
    "Maryland General Assembly": "organization",
}


@pytest.mark.parametrize("stem", ["blind1", "blind2"])
def test_discovery_on_blind_articles(seeded, stem):
    # The whole catalogue, as an import reads it (the Supreme Court is known, not new).
    new, _ = discovery.suggest(_blind_body(stem), build_linker(), {})
    found = {_key(c.name): c.suggested_kind for c in new}
    expected = {
        _key(e["name"]): BLIND_KIND.get(e["name"], e["kind"])
        for e in BLIND[stem]
        if (stem, e["name"]) not in BLIND_MISSED
    }
    assert {n: k for n, k in found.items() if n in expected} == expected
    wrong = set(found) - set(expected) - {_key(n) for s, n in BLIND_MISSED if s == stem}
    assert wrong == set()


def _blind_body(stem: str) -> str:
    return read_markdown(DATA / f"discovery_{stem}.md")[0].body


# The acronym a bracket gives a name: its own, or a translated name's own language's
# (which starts as the name does); never a file type, a wire service or another body.
BRACKETS = [
    ("It shared results with Mexico's Secretariat of National Defense (SEDENA) in May.", "SEDENA"),
    ("Russia's Federal Security Service (FSB) denied it.", "FSB"),
    ("Microsoft and the Department of Defense (DoD) signed it.", "DoD"),
    ("See the Department of Justice (PDF) filing.", ""),
    ("The Minneapolis Police Department (AP) said so.", ""),
    ("The Office of Refugee Resettlement (HHS) said so.", ""),
]


@pytest.mark.parametrize("text, acronym", BRACKETS)
def test_the_acronym_a_bracket_gives(text, acronym):
    (found,) = discovery.find(text)
    assert found.acronym == acronym
