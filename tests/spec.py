"""The seed's facts, defined once for every test file.

The articles and the catalogue are read from fixtures/ (what the session imports); the names
and tables below were written from the seed text (seeds/000_bfd58ad0cbd93c3f.txt). Every path
is inside this repository.

Also here: the hostile input every test of escaping and of odd queries uses (payloads that
would run as HTML, quotes, NULs, the engines' query syntax), as constants and as hypothesis
strategies.
"""

import json
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_bfd58ad0cbd93c3f.txt"
SEED_NAME = SEED_FILE.name  # what an imported article records as its seed_file

ARTICLES_JSON = json.loads((FIXTURES / "articles.json").read_text(encoding="utf-8"))
CATALOGUE = json.loads((FIXTURES / "catalogue.json").read_text(encoding="utf-8"))

# -- the ten articles ------------------------------------------------------------------------
ARTICLES: list[dict] = [a for seeds in ARTICLES_JSON["seeds"].values() for a in seeds]
ARTICLE_BY_SLUG: dict[str, dict] = {a["slug"]: a for a in ARTICLES}

# Each article by what it is about, in seed order.
FACIAL = "ice-facial-recognition-contractor-leaks-personal-data"  # 1, Trust Stamp's leak
REPORT = "report-shows-ices-massive-surveillance-apparatus"  # 2
NARA_CBP = "national-archive-questions-cbp-auto-deleting-messages"  # 3, Wickr
TORRANCE = "ice-torrance-detainees-inadequate-staffing-unsanitary-facilities"  # 4, CoreCivic
WYDEN = "wyden-catches-ice-illegally-collecting-financial-data"  # 5, undated, no address
HSI_SPLIT = "hsi-asks-to-be-separated-from-ice"  # 6
BODYCAM = "dhs-ice-begin-body-camera-pilot-program"  # 7
UTILITY = "ice-loses-access-to-utility-customer-records"  # 8, CLEAR
BIGTECH = "google-amazon-microsoft-sell-surveillance-tech-to-ice-cbp-through-third-parties"  # 9
DEPORTED = "man-deported-after-film-critical-of-ice-asks-court-to-roll-back-removal"  # 10

SEED_ORDER = [
    FACIAL,
    REPORT,
    NARA_CBP,
    TORRANCE,
    WYDEN,
    HSI_SPLIT,
    BODYCAM,
    UTILITY,
    BIGTECH,
    DEPORTED,
]
SLUG_BY_NUMBER = dict(enumerate(SEED_ORDER, start=1))  # article number in the seed -> slug
ALL = frozenset(SEED_ORDER)
# Newest first; the undated Wyden article last (in both date orders).
NEWEST = [FACIAL, REPORT, NARA_CBP, TORRANCE, HSI_SPLIT, BODYCAM, UTILITY, BIGTECH, DEPORTED, WYDEN]
OLDEST = [*reversed(NEWEST[:-1]), WYDEN]

# -- the catalogue -----------------------------------------------------------------------------
ENTITIES: list[dict] = CATALOGUE["entities"]
# A description is a list of sourced sentences ({text, article, quote}); tests read it as
# "description" (the sentences joined, as stored and shown) and "description_sources".
for _e in ENTITIES:
    if isinstance(_e.get("description"), list):
        _e["description_sources"] = _e["description"]
        _e["description"] = " ".join(d["text"] for d in _e["description_sources"])
ENTITY_BY_SLUG: dict[str, dict] = {e["slug"]: e for e in ENTITIES}
RELATIONSHIPS: list[dict] = CATALOGUE["relationships"]
KINDS = ("agency", "contractor", "program", "organization")
PLURAL = {
    "agency": "agencies",
    "contractor": "contractors",
    "program": "programs",
    "organization": "organizations",
}

# A program's status history as the seed tells it, oldest first (None: the text gives no
# year). Statuses are facts (proposed, active, suspended, ended), never opinions.
STATUS_HISTORY = {
    "hsi-money-transfer-summonses": [
        ("active", 2019),
        ("active", 2021),
        ("ended", 2022),
    ],
    "trac": [("active", None)],  # the Wyden article is undated and names no year for it
    "clear": [("active", 2021)],  # only the utility data stopped flowing: CLEAR goes on
    "doj-body-camera-grant-program": [("active", 2015), ("ended", None)],
}

# A program's current status: the latest claim of its history (what its page header says).
CURRENT_STATUS = {
    "clear": "active",
    "trac": "active",
    "hsi-money-transfer-summonses": "ended",
    "raven": "proposed",
    "body-worn-camera-pilot": "active",
    "dmv-face-recognition": "active",
    "doj-body-camera-grant-program": "ended",
}


def entity_url(slug: str) -> str:
    """The page of a catalogue entity: /agencies/ice/, /programs/clear/, ..."""
    return f"/{PLURAL[ENTITY_BY_SLUG[slug]['kind']]}/{slug}/"


def article_url(slug: str) -> str:
    return f"/articles/{slug}/"


def relationship_id(rel: dict) -> str:
    """A readable test id for a catalogue relationship: thomson-reuters-sells_to-ice."""
    return f"{rel['subject']}-{rel['kind']}-{rel['object']}"


# -- searches with filters: the articles each one finds ------------------------------------------
# (query string, slugs); the same on the search page and in the API.
FILTERED_SEARCHES = [
    ("agency=hsi", {WYDEN, HSI_SPLIT, BODYCAM}),
    ("program=clear", {WYDEN, UTILITY}),
    ("program=wickr", {NARA_CBP}),  # an app, not a contractor
    ("organization=crew", {NARA_CBP}),
    ("agency=cbp&contractor=google", {BIGTECH}),
    ("agency=nara&agency=dhs-oig", {NARA_CBP, TORRANCE}),
    ("q=Wickr&agency=ice", {NARA_CBP}),
    ("q=Wickr&agency=hsi", set()),
    ("published_after=2022-01-01", {FACIAL, REPORT, NARA_CBP, TORRANCE, HSI_SPLIT}),
    ("published_before=2021-12-31&published_after=2021-12-01", {UTILITY, BODYCAM}),
    ("publication=Techdirt&program=trac", {WYDEN}),
    ("publication=Nowhere", set()),
]

# -- hostile input -------------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
BOLD = "<b>bold</b>"
# What must never reach a page unescaped.
RAW_MARKUP = ("<script>alert", "<img src=x", BOLD)

# Queries that have broken search engines: the query languages' own syntax (FTS5 and
# PostgreSQL tsquery), quotes, NULs, SQL, scripts, RTL and astral text, very long input.
HOSTILE_QUERIES = [
    "",
    " ",
    "\x00",
    "ICE\x00Wickr",
    '"',
    '"""',
    '"unbalanced quote',
    'ICE "',
    "'",
    "AND",
    "OR",
    "NOT",
    "-",
    "--",
    "*",
    "**",
    "-*",
    "NOT -",
    "OR OR OR",
    "ICE OR",
    "OR ICE",
    "ICE AND",
    "ICE NOT",
    "a*",
    "*a",
    "NEAR(ICE Wickr)",
    "ICE NEAR Wickr",
    "title:ICE",
    "{title}: ICE",
    "^ICE",
    "ICE + Wickr",
    "(ICE",
    "ICE)",
    "((()))",
    "ICE & | ! <-> :*",
    "'ICE':* & !!x",
    "ice:B",
    "\\",
    "%",
    "_%'; DROP TABLE archive_article; --",
    "1' OR '1'='1",
    "🕵️ surveillance 🕵️‍♀️",
    "🙂",
    "مراقبة ICE",
    "\u202eICE\u202c",
    "שלום",
    "监控",
    "Ｗｉｃｋｒ",  # full-width
    "ﬁnancial",  # ligature
    "e\u0301",
    "\ue000mark\ue001",  # the engines' private highlight markers
    SCRIPT,
    "&amp; &lt;",
    "a" * 10_000,
    "ICE " * 2_500,
    "-ICE " * 500,
    "x" * 300,
    "OR " * 100 + "Wickr",
    '"' + "ICE " * 200 + '"',
    "\n\t\r",
    "\ud7ff",
]

# The same, generated: query syntax mixed with seed words and any text at all.
QUERY_OPERATORS = st.sampled_from(
    [
        "AND",
        "OR",
        "NOT",
        "-",
        "*",
        '"',
        "“",
        "”",
        "’",
        "(",
        ")",
        ":",
        "^",
        "NEAR",
        "+",
        "!!",
        "&",
        "|",
    ]
)
SEED_WORDS = st.sampled_from(
    ["ICE", "Wickr", "clear", "CLEAR", "detain", "surveil*", "exposé", "Reuters"]
)
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(QUERY_OPERATORS, SEED_WORDS, st.text(max_size=8)), max_size=20).map(
        " ".join
    ),
    st.text(alphabet=st.characters(min_codepoint=0x590, max_codepoint=0x6FF), max_size=50),  # RTL
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), max_size=20),
    st.just("x" * 10_000),
    st.builds(lambda s: s * 2000, st.text(min_size=1, max_size=5)),
)
