"""Find candidate entities: names the catalogue lacks, for an editor to decide on (never
published until approved).

Four shapes of name are collected, each with a suggested kind (agency, contractor,
organization, program):
- inline definitions in either direction: "Long Name (ACR)" and "ACR (Long Name)";
- organisations with a company suffix: "Acme Analytics, Inc.", "Foo LLC", "Bar Corporation";
- government bodies: "Department of ...", "Office of ...", "Bureau of ...", in full
  ("Department of Homeland Security's Office of Inspector General", never "...'s Office");
- names a reader knows for an organisation by their context (reason "context"): an
  organisation word in the name ("Electronic Frontier Foundation", "Center on Privacy &
  Technology", "The Washington Post"), an appositive or role ("Babel Street, a data
  broker", "the nonprofit Fight for the Future", "companies like Palantir"), "according to
  X", a buyer or seller ("Acme sold", "bought from Acme", "a contract with Acme"), an
  outlet ("reporting for NPR", "Insider has learned"), an unexplained acronym acting as a
  body ("as the EFF explains").
An acronym defined in another article of the archive is suggested where it is used bare
(`find(text, defined=definitions(other_texts))`). `known_entity` tells a name that merely
extends a catalogue name ("Equifax Inc.") from a new one.

Speed: discovery runs on every imported article. The context shape reads capitalised runs
(one cheap regex pass) and looks only at a few words either side of each, with set lookups.
"""

import re
from dataclasses import dataclass, replace

from ..names.linker import GENERIC_TITLES
from ..names.text import fold_key, sentence_around

_WORD = r"[A-Z][\w’'&-]*(?:\.(?=\w))?[\w’'&-]*"
_SP = r"[^\S\n]+"  # spaces, never a paragraph break
_JOIN = r"(?:of|and|for|the|on|in|a|an|to|&)"
_LONG = rf"{_WORD}(?:{_SP}(?:{_JOIN}{_SP})*{_WORD})+"
_ACR = r"[A-Z][A-Za-z]{1,9}"

LONG_THEN_ACR = re.compile(rf"({_LONG})[^\S\n]*[(\[]({_ACR})[)\]]")
ACR_THEN_LONG = re.compile(rf"(?<!\w)({_ACR})[^\S\n]*[(\[]({_LONG})(?=[)\]]|{_SP}[—–-])")
COMPANY = re.compile(
    rf"((?:{_WORD}{_SP}){{0,4}}{_WORD})(,?{_SP}(?:Inc\.|LLC|L\.L\.C\.|Corporation|Corp\.))"
)
GOVERNMENT = re.compile(
    rf"(?:Department|Office|Bureau){_SP}of{_SP}(?:the{_SP})?{_WORD}"
    rf"(?:{_SP}(?:(?:and|&|of|for|on)(?:{_SP}the)?{_SP})?{_WORD})*"
)
# "Department of Justice and Department of Homeland Security" is two names.
_GOVERNMENT_SPLIT = re.compile(rf"{_SP}and{_SP}(?:the{_SP})?(?=(?:Department|Office|Bureau)\b)")

_LEADING = re.compile(r"^(?:The|A|An|Its|His|Her|Their|Our)\s+")
_AGENCY_WORDS = {
    "department",
    "office",
    "bureau",
    "agency",
    "administration",
    "commission",
    "service",
    "court",
}
_PROGRAM_WORDS = {
    "program",
    "programme",
    "system",
    "database",
    "center",
    "centre",
    "repository",
    "initiative",
}


@dataclass(frozen=True)
class CandidateName:
    name: str
    core: str  # the name without a company suffix: what must be new for it to be a candidate
    acronym: str
    reason: str  # Candidate.Reason value
    suggested_kind: str
    start: int
    end: int
    passage: str

    @property
    def key(self) -> str:
        return fold_key(self.name)


def _acronym_fits(long_name: str, acronym: str) -> bool:
    """Loose check that ACR abbreviates Long Name: its first letter and most of its letters
    are word initials, in order (RAVEn, NCTUE and CREW all pass; "(PDF)" after a name fails)."""
    initials = [w[0].upper() for w in re.findall(r"[\w’']+", long_name) if w[0].isupper()]
    letters = [c for c in acronym.upper() if c.isalpha()]
    if not initials or not letters or letters[0] != initials[0]:
        return False
    i = hits = 0
    for c in letters:
        while i < len(initials) and initials[i] != c:
            i += 1
        if i < len(initials):
            hits += 1
            i += 1
    return hits >= max(2, len(letters) - 1)


def _guess_kind(name: str, default: str = "") -> str:
    words = {w.lower() for w in re.findall(r"\w+", name)}
    if words & _PROGRAM_WORDS:
        return "program"
    if words & _AGENCY_WORDS:
        return "agency"
    return default


# Where a match of LONG_THEN_ACR or COMPANY must end (its bracketed acronym, its company
# suffix), and the characters its name part is made of. Neither pattern looks behind or
# ahead, and a match holds only those characters before its end; so every match lies in a
# window that runs back from such an end over those characters, windows that touch are
# joined, and finditer over each window finds exactly what it finds over the whole text.
# (Scanning the whole text tried the name part at every capital letter: 8 ms an article,
# most of an import's time; the windows are usually a few dozen characters.)
_ACR_END = re.compile(rf"[(\[]{_ACR}[)\]]")
_COMPANY_END = re.compile(r"Inc\.|LLC|L\.L\.C\.|Corporation|Corp\.")
_NAME_CHAR = re.compile(r"[\w’'&-]|[^\S\n]|\.(?=\w)")  # what _LONG and COMPANY's name hold


def _windows(text: str, ends: re.Pattern, comma: bool = False) -> list[tuple[int, int]]:
    """Each place a match could end, with the stretch of name characters before it (and,
    for COMPANY, spaces and one comma just before its suffix); touching windows joined."""
    out: list[list[int]] = []
    for m in ends.finditer(text):
        start = m.start()
        if comma:
            while start and text[start - 1] in " \t\xa0":
                start -= 1
            if start and text[start - 1] == ",":
                start -= 1
        while start and _NAME_CHAR.match(text, start - 1):
            start -= 1
        if out and start <= out[-1][1]:
            out[-1][1] = m.end()
        else:
            out.append([start, m.end()])
    return [(a, b) for a, b in out]


# ACR_THEN_LONG's matches hold a bracket: each starts at the letters just before one
# (its acronym and spaces) and runs on over name characters, then a closing bracket or a
# space and a dash (its lookahead): the window around each bracket.
_OPENING = re.compile(r"[(\[]")
_ACR_CHAR = re.compile(r"[A-Za-z]|[^\S\n]")
_NAME_STRETCH = re.compile(r"(?:[\w’'&-]|[^\S\n]|\.(?=\w))*")


def _bracket_windows(text: str) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for m in _OPENING.finditer(text):
        start = m.start()
        while start and _ACR_CHAR.match(text, start - 1) and m.start() - start < 40:
            start -= 1
        end = min(len(text), _NAME_STRETCH.match(text, m.end()).end() + 3)
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def _matches(pattern: re.Pattern, ends: re.Pattern, text: str, comma: bool = False):
    windows = _bracket_windows(text) if ends is _OPENING else _windows(text, ends, comma)
    for a, b in windows:
        yield from pattern.finditer(text, a, b)


# -- the context shape ----------------------------------------------------------------------
# A capitalised run: words with a capital, joined by spaces or by of/for/on/and/& (with an
# optional "the" after them). One pass over the text; everything else is set lookups.
# (The capital comes first and the look behind it second: the regex engine then skips
# to capitals in C, twice as fast as looking behind at every character.)
_CAP = r"[A-Z](?<![\w’'.-].)[\w’'&.-]*"
# A word ending in a lower-case letter or digit and a full stop ends the run ("Axon.
# Lawmakers ..."); "U.S." does not.
# "of the", "for the", "on the" may join a name's words; "and the" never does: it joins two
# names ("the ACLU of Texas and the Texas Civil Rights Project").
_RUN = re.compile(
    rf"{_CAP}(?:(?<![a-z0-9]\.){_SP}(?:(?:of|for|on|&)(?:{_SP}the)?{_SP}|and{_SP})?{_CAP})*"
)
_TRAILING = re.compile(r"(?:['’]s|['’]|[.,;:!?-])+$")
_ABBREVIATION_END = re.compile(r"(?:\b[A-Z]\.|Inc\.|Corp\.|Co\.|Ltd\.|Jr\.)$")

# The last words of a name that make it an organisation, and the kind each suggests.
_ORG_WORDS = {
    **dict.fromkeys(
        "Department Office Bureau Agency Administration Commission Service Division Board"
        " Authority Police Patrol Marshals Directorate Ministry Secretariat".split(),
        "agency",
    ),
    **dict.fromkeys(
        "Technologies Technology Systems Solutions Analytics Labs Holdings Partners Software"
        " Company Industries Dynamics Robotics Services Enterprise Enterprises Biometrics"
        " Networks Communications Wireless Geospatial".split(),
        "contractor",
    ),
    **dict.fromkeys(
        "Foundation Center Centre Institute Council Committee Coalition Alliance Project Network"
        " Union Association Society Fund Campaign Post Times Journal Insider Intercept Tribune"
        " Herald Guardian Gazette News Clinic Caucus Forum University Sun-Times"
        # Courts and legislatures, as the catalogue files the Supreme Court and Congress.
        " Court Assembly Legislature".split(),
        "organization",
    ),
    **dict.fromkeys(
        "Program Programme Database Initiative Repository Pilot Operation".split(),
        "program",
    ),
}
# A "Center" that analyses data is a program (Transaction Record Analysis Center).
# An organisation word as it may stand in a run: "Institute.", "Foundation’s", "Center,".
_ORG_FORMS = frozenset(w + end for w in _ORG_WORDS for end in ("", ".", ",", "’s", "'s", "’"))
_PROGRAM_CENTER = {"analysis", "analytics", "data", "record", "records", "fusion", "targeting"}
# Outlet words that stand alone as a name ("Insider has learned").
_OUTLETS = {"Insider", "Intercept", "ProPublica", "Politico", "Axios", "Bloomberg", "NPR", "Vice"}
# Roles that mark the name beside them as an organisation, and the kind each suggests.
_ROLES = {
    **dict.fromkeys(
        "company subsidiary vendor reseller contractor subcontractor firm startup start-up broker"
        " provider supplier integrator developer maker manufacturer".split(),
        "contractor",
    ),
    **dict.fromkeys(
        "group nonprofit non-profit organization organisation watchdog coalition outlet"
        " newspaper publication charity union".split(),
        "organization",
    ),
    **dict.fromkeys("agency department bureau regulator".split(), "agency"),
    **dict.fromkeys(
        "app platform database system tool program programme product service".split(), "program"
    ),
}
_PLURAL_ROLES = {
    "companies": "contractor",
    "vendors": "contractor",
    "firms": "contractor",
    "groups": "organization",
    "organizations": "organization",
    "organisations": "organization",
    "agencies": "agency",
    "apps": "program",
}
_SELLS = set(
    "sold sells resold resells supplies supplied provides provided licenses licensed markets"
    " marketed builds built makes developed develops operates runs".split()
)
_FROM = {
    ("bought", "from"),
    ("purchased", "from"),
    ("licensed", "from"),
    ("acquired", "from"),
    ("buys", "from"),
    ("sold", "by"),
    ("contract", "with"),
    ("contracts", "with"),
    ("contracted", "with"),
    ("partnered", "with"),
    ("partnership", "with"),
    ("partnerships", "with"),
    ("agreement", "with"),
    ("deal", "with"),
    ("paid", ""),
}
# Buying from someone, a few words apart: "bought data from Fog Data Science".
_BUYS = {"bought", "buys", "buying", "purchased", "purchases", "licensed", "licenses", "sourced"}
# A product named by what it is: "whose Pathfinder platform", "the FaceLink app".
_PRODUCT_AFTER = {"platform", "app", "tool", "software", "database", "system"}
# ... or before "called", "dubbed", "named", "known as" ("an app called Wickr").
_PRODUCT_NAMED = _PRODUCT_AFTER | {"program", "programme", "application", "service"}
_NAMING = re.compile(
    r"(?i)\b(an?|the)[^\S\n]+(?:[\w-]+[^\S\n]+)?(\w+)(,)?[^\S\n]+"
    r"(?:called|dubbed|known[^\S\n]+as)[^\S\n]+\Z"
)


def _product_named(text: str, a: int) -> bool:
    """Whether the name at `a` follows "a/an <product> called", "the <product>, called"
    (or dubbed, known as)."""
    m = _NAMING.search(text, max(0, a - 60), a)
    if m is None or m.group(2).lower() not in _PRODUCT_NAMED:
        return False
    return m.group(1).lower() != "the" or m.group(3) is not None


_REPORTS = set(
    "said says explains explained notes noted argues argued found finds reported reports told"
    " wrote writes sued warned estimates estimated obtained".split()
)
_OUTLET_BEFORE = {
    "report",
    "reporting",
    "reports",
    "writes",
    "wrote",
    "reporter",
    "columnist",
    "correspondent",
    "writing",
}
# Words a run may open with that are not part of a name (sentence openers, determiners).
_OPENERS = set(
    "The A An But And Or So Then Now Yet Still Also Even In On At For By With From To Of As"
    " If When While After Before Since Until Though Although Because Unless Whether Both"
    " This That These Those Its Their Our His Her Your My Some Many Most Each Every Any All"
    " No Not Only Just Last Next Yesterday Today Tomorrow Meanwhile However Instead Perhaps"
    " Former Then-President Under Over Like Unlike Per Via Inside Outside According Despite"
    " Without Against Among Between Through During Where What Which Who Why How Here There"
    " It He She They We I You Most Several Few Other Another Such Same Once Twice".split()
)
# Words that end a name where a title or person begins ("Commission Chair Lina Khan").
_TITLES = set(
    "Chair Chairman Chairwoman Director Secretary Commissioner Spokesperson Spokesman"
    " Spokeswoman Chief CEO President Administrator Judge Justice Senator Sen. Rep. Officer"
    " Agent Agents Attorney Deputy Acting General’s".split()
)
# Single words that are never an organisation's name on their own.
_NOT_NAMES = _OPENERS | set(
    "Officials Police Congress Congressional American Americans Federal State Government"
    " Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April"
    " May June July August September October November December Mr. Ms. Mrs. Dr. US U.S. UK"
    " AI TV OK PDF FOIA".split()
)
_ACRONYM = re.compile(r"[A-Z][A-Z&]{1,6}")


_ABBREVIATIONS = {"Inc.", "Corp.", "Co.", "Ltd.", "Jr.", "Sen.", "Rep.", "Dr.", "Mr.", "Ms.", "St."}
_JOINERS = {"of", "for", "on", "and", "&", "the"}
_NONSPACE = re.compile(r"\S+")
_MAYBE_GENERIC = re.compile(r"(?i)nspector|pilot|subpoena|grant|\bO?IG\b")


def _clean_run(text: str, start: int, end: int) -> tuple[int, int]:
    """The name inside a capitalised run: openers and a leading place's possessive dropped
    ("Florida’s Broward Center"), cut at a sentence end or a title ("Commission Chair Lina
    Khan"), a trailing possessive or punctuation removed (but "Inc." and "U.S." kept)."""
    spans = [m.span() for m in _NONSPACE.finditer(text, start, end)]
    words = [text[x:y] for x, y in spans]
    i = 0
    while (
        i < len(words) - 1
        and (
            words[i] in _OPENERS
            or (i == 0 and words[i].endswith(("’s", "'s")))
            or (  # "Sidestepping Supreme Court rulings": a verb opening a sentence
                i == 0
                and words[i].endswith(("ing", "ed", "ly"))
                and words[i][1:].islower()
                and text[max(0, start - 2) : start].strip() in ("", ".", "!", "?", "“", '"')
            )
        )
    ):
        i += 1
    if words[i] in _OPENERS:
        return start, start
    j = i + 1
    while j < len(words):
        w = words[j - 1]
        if w.endswith(".") and w not in _ABBREVIATIONS and not _ABBREVIATION_END.search(w):
            break  # "Sundance Institute. The ..."
        if words[j] in _TITLES and j < len(words) - 1 and _ORG_FORMS.isdisjoint(words[j + 1 :]):
            break  # "Commission Chair Lina Khan", never "MacArthur Justice Center"
        j += 1
    while j - 1 > i and words[j - 1] in _JOINERS:
        j -= 1  # a name never ends with a joiner
    a, b = spans[i][0], spans[j - 1][1]
    name = text[a:b]
    if not _ABBREVIATION_END.search(name):
        b -= len(name) - len(_TRAILING.sub("", name))
    return a, b


def _bare(word: str) -> str:
    """A word without a trailing possessive or punctuation ("Institute’s," -> "Institute")."""
    word = word.rstrip(".,;:!?")
    if word.endswith(("’s", "'s")):
        word = word[:-2]
    return word.rstrip("’'")


def _head_kind(name: str) -> str:
    """The kind an organisation word gives a name: the word that heads it (before its first
    of/for/on: "Center on Privacy & Technology" is a center, "Office of Inspector General"
    an office), else its last organisation word."""
    words = [_bare(w) for w in name.split()]
    for k, w in enumerate(words):
        if w in ("of", "for", "on"):
            head = words[:k]
            break
    else:
        head = words
    for w in reversed(head):
        kind = _ORG_WORDS.get(w)
        if kind:
            if w.startswith("Cent") and {x.lower() for x in words} & _PROGRAM_CENTER:
                return "program"
            if w == "Administration" and len(head) == 2:
                return ""  # "Trump Administration": a president's, not a body's name
            return kind
    return ""


def _kind_of(name: str) -> str:
    kind = _head_kind(name)
    if kind or not any(w in ("of", "for", "on") for w in name.split()):
        return kind
    return ""


def _words_before(text: str, start: int, n: int = 4) -> list[str]:
    return [w.strip(',;:()[]“”"').lower() for w in text[max(0, start - 60) : start].split()[-n:]]


def _context(text: str, a: int, b: int) -> str | None:
    """The kind a reader would give the capitalised name text[a:b] from its context, or
    None when nothing around it marks it as an organisation."""
    name = text[a:b]
    words = name.split()
    acronym = len(words) == 1 and bool(_ACRONYM.fullmatch(name))
    if len(words) == 1 and name in _NOT_NAMES:
        return None
    kind = _kind_of(name)
    if kind and (len(words) > 1 or name in _OUTLETS):
        return kind
    before = _words_before(text, a)
    after = text[b : b + 80].split(None, 6)[:6]
    after_l = [w.strip(',;:.()“”"').lower() for w in after]
    if after_l and not after_l[0]:
        after_l = after_l[1:]  # "Babel Street , a ...": the comma stood alone
    # "Babel Street, a data broker": an appositive with a role.
    if text.startswith(",", b) and after_l and after_l[0] in {"a", "an", "the"}:
        for w in after_l[1:5]:
            if w in _ROLES:
                return _ROLES[w]
            if w in {"that", "which", "who", "whose"}:
                break
    # "Flock Safety, which sells license plate readers": a clause that says it sells.
    if (
        text.startswith((", which ", ", that "), b)
        and len(after_l) >= 2
        and after_l[0] in {"which", "that"}
        and after_l[1] in _SELLS
        and not acronym
    ):
        return "contractor" if len(words) <= 4 else None
    # "the data broker Babel Street", "companies like Palantir".
    if before and before[-1] in _ROLES:
        return _ROLES[before[-1]]
    if (
        len(before) >= 2
        and before[-1] in {"like", "including", "as"}
        and before[-2] in _PLURAL_ROLES
    ):
        return _PLURAL_ROLES[before[-2]]
    # "according to the EFF", "according to the Center ...".
    if before[-2:] == ["according", "to"] or (
        before[-3:-1] == ["according", "to"] and before[-1] == "the"
    ):
        if acronym or before[-1] == "the" or name in _OUTLETS:
            return "organization"
        return None
    # A buyer or seller: "Acme sold", "bought from Acme", "a contract with Acme".
    if after_l and after_l[0] in _SELLS and not acronym:
        return "contractor" if len(words) <= 4 else None
    if (len(before) >= 2 and (before[-2], before[-1]) in _FROM) or before[-1:] == ["paid"]:
        return "contractor"
    if before[-1:] == ["from"] and _BUYS.intersection(before[-4:-1]) and not acronym:
        return "contractor" if len(words) <= 4 else None
    # A product named by what it is: "an app called Wickr", "the system, called FaceLink",
    # "a tool known as Fog Reveal" (never "the service called Mayor Adams' office": a
    # product noun after "the" calls someone unless a comma sets the name off).
    if len(words) <= 3 and _product_named(text, a):
        return "program"
    # A product: "whose Pathfinder platform"; a named operation.
    if (
        after_l
        and after_l[0] in _PRODUCT_AFTER
        and len(words) <= 3
        and not acronym
        # "Reuters’ CLEAR database": the product is the owner's, named apart
        and not any(w.endswith(("’", "'", "’s", "'s")) for w in words[:-1])
    ):
        return "program"
    # An outlet: "first reported by the Texas Observer".
    if before[-2:] == ["reported", "by"] or (
        before[-3:-1] == ["reported", "by"] and before[-1] == "the"
    ):
        return "organization"
    # An outlet: "reporting for NPR", "Insider has learned".
    if len(before) >= 2 and before[-1] == "for" and before[-2] in _OUTLET_BEFORE:
        return "organization"
    if after_l[:2] in (["has", "learned"], ["has", "found"], ["first", "reported"]):
        return "organization"
    # An unexplained acronym acting as a body: "as the EFF explains", "the EFF’s lawyers".
    if acronym and before[-1:] == ["the"]:
        if text.startswith(("’s", "'s"), b) or (after_l and after_l[0] in _REPORTS):
            return "organization"
    return None


# Words either side of a name that may make it an organisation: a run with none of them
# (most runs) is passed over after a few set lookups.
_PAIRS_BEFORE = set(_FROM) | {("according", "to"), ("known", "as")}
_PAIRS_BEFORE |= {(w, "for") for w in _OUTLET_BEFORE}
_PAIRS_BEFORE |= {(p, w) for p in _PLURAL_ROLES for w in ("like", "including", "as")}


def _triggered(text: str, a: int, b: int, acronym: bool) -> bool:
    """Whether anything beside text[a:b] could mark it as an organisation (see _context):
    a cheap test, so that the full reading runs only where it may find something."""
    if text.startswith((", a ", ", an ", ", the ", ", which ", ", that "), b):
        return True
    before = text[max(0, a - 30) : a].split()
    if before:
        last = before[-1].lower()
        if last[-1:] in _PUNCT:
            last = last.strip(_STRIP)
        if last in _ROLES or last in ("paid", "called", "dubbed"):
            return True
        if len(before) >= 2:
            pair = (before[-2].lower(), last)
            if pair in _PAIRS_BEFORE:
                return True
            if last == "the":
                if len(before) >= 3 and (before[-3].lower(), pair[0]) == ("according", "to"):
                    return True
                if acronym and (
                    text.startswith(("’s", "'s"), b)
                    or text[b + 1 : b + 14].split(" ", 1)[0].strip(",.:;") in _REPORTS
                ):
                    return True
    after = text[b + 1 : b + 24].split(" ", 2)
    if after and (after[0] in _SELLS or (after[0] in ("has", "first") and len(after) > 1)):
        return True
    if after and after[0].rstrip(",.;:") in _PRODUCT_AFTER:
        return True
    words = [w.lower() for w in before[-4:]]
    if words[-1:] == ["from"] and _BUYS.intersection(words[:-1]):
        return True
    return "reported" in words[-3:] and "by" in words[-2:]


_STRIP = ',;:()“”"'
_PUNCT = set(_STRIP)


def _context_names(text: str) -> list[tuple[str, str, int, int]]:
    out = []
    for m in _RUN.finditer(text):
        g = m.group()
        if " " not in g:
            if g in _NOT_NAMES:
                continue
            if g not in _OUTLETS and not _triggered(text, *m.span(), g.isupper()):
                continue
        elif _ORG_FORMS.isdisjoint(g.split()):
            if not _triggered(text, *m.span(), False):
                continue
        a, b = _clean_run(text, m.start(), m.end())
        if b - a < 2:
            continue
        name = text[a:b]
        if name.split(None, 1)[0] in _TITLES:
            continue  # "President Trump": a person
        # "Caroline Haskins for Business Insider": a person for an outlet; the part with
        # the organisation word is the name when the part before its joiner has none.
        if " for " in name or " of " in name or " on " in name:
            head = re.split(r"\s(?:of|for|on)\s", name, maxsplit=1)[0]
            if not _head_kind(head) and head not in _HEADS:
                tail = name[len(head) :].split(None, 1)[1]
                tail = tail[4:] if tail.startswith("the ") else tail
                if _kind_of(tail):
                    a = text.index(tail, a)
                    name = tail
        # "Google and Microsoft sold": a list of names is not one name, unless an
        # organisation word ends it ("National Archives and Records Administration"); and
        # "the Department of Justice and the Department of Labor" is two.
        parts = [(name, a)]
        if " and " in name:
            left, right = name.rsplit(" and ", 1)
            right = right[4:] if right.startswith("the ") else right
            if not _kind_of(right):
                continue
            # (Two names only when the right is a name on its own: "Center on Privacy
            # and Technology" is one, though "Technology" is an organisation word.)
            if _head_kind(left) and len(right.split()) > 1:
                parts = [(left, a), (right, a + name.rindex(right))]
        for part, at in parts:
            kind = _context(text, at, at + len(part))
            if kind is not None:
                out.append((part, kind, at, at + len(part)))
    return out


# Words that head an official name though they are no organisation word themselves
# ("Citizens for Responsibility and Ethics in Washington", "Fight for the Future").
_HEADS = {"Citizens", "Fight", "Friends", "Partnership", "Electronic Privacy Information"}


def definitions(texts) -> dict[str, str]:
    """Acronyms defined inline anywhere in `texts` (the archive): acronym -> long name."""
    out: dict[str, str] = {}
    for text in texts:
        for c in find(text):
            if c.acronym and c.reason == "definition":
                out.setdefault(c.acronym, c.name)
    return out


_EXTENSION_WORDS = {
    "inc",
    "llc",
    "corp",
    "corporation",
    "company",
    "co",
    "ltd",
    "plc",
    "group",
    "holdings",
    "s",
    "the",
    "us",
    "u",
    "agency",
}


def known_entity(name: CandidateName, linker) -> int | None:
    """The catalogue entity a discovered name names, if any: the whole name is one of the
    entity's names ("Department of Homeland Security"), or it only extends one with a
    company suffix or the like ("Equifax Inc.", "Google LLC"). Such a name links to that
    entity; it is never a new suggestion."""
    core = name.core
    for entity_id, hit in linker.find(core).items():
        for s, e in hit.spans:
            if s == 0 and e == len(core):
                return entity_id
    for text in (name.name, core):
        for entity_id, hit in linker.find(text).items():
            for s, _e in hit.spans:
                before = re.findall(r"\w+", text[:s])
                # "Equifax Inc.", "Thomson Reuters Special Services", "Google Cloud": a
                # name that opens with a catalogue name extends it.
                if all(w.lower() in _EXTENSION_WORDS for w in before):
                    return entity_id
    if name.acronym and linker.find(name.acronym):
        return next(iter(linker.find(name.acronym)))
    return None


def suggest(text: str, linker, defined: dict[str, str] | None = None):
    """(new names, [(name, entity id)] of names that extend a known entity's name)."""
    new, known = [], []
    for c in find(text, defined):
        entity_id = known_entity(c, linker)
        if entity_id is None:
            new.append(c)
        else:
            known.append((c, entity_id))
    return new, known


def _translated(words: list[str], acronym: str) -> str:
    """A translated name with its own language's acronym ("Mexico's Secretariat of National
    Defense (SEDENA)", "Federal Security Service (FSB)"): the longest run of capitalised
    words joined only by of/for/on (and "the" after them) that an organisation word heads,
    beginning with the acronym's first letter. Not "In January the Department of Defense",
    "Microsoft and the Department ...", nor "Department of Justice (PDF)"."""
    for i in range(len(words) - 1):
        tail = words[i:]
        if (
            tail[0][:1] != acronym[:1].upper()
            or tail[0].endswith(("’s", "'s"))
            or not _head_kind(" ".join(tail))
        ):
            continue
        if all(
            w[:1].isupper()
            or w in ("of", "for", "on")
            or (w == "the" and tail[k - 1] in ("of", "for", "on"))
            for k, w in enumerate(tail)
        ):
            return " ".join(tail)
    return ""


# A university's campus follows "at" in its official name ("University of California at
# Berkeley"): only after "University of X" or "College of X", one or two words that are
# not a day, a month or an acronym ("Stanford University at ICE's request" is not a campus).
_CAMPUS_OF = re.compile(r"\b(?:University|College) of ")
_CAMPUS = re.compile(
    r"[^\S\n]+at[^\S\n]+([A-Z][a-z][\w-]*(?:[^\S\n]+[A-Z][a-z][\w-]*)?)(?![\w’'-])"
)
_NOT_CAMPUS = set(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April"
    " May June July August September October November December Christmas Thanksgiving".split()
)


def _campus(text: str, name: str, end: int) -> "re.Match | None":
    """ " at Austin" after "University of Texas": its campus, part of its name."""
    if not _CAMPUS_OF.search(name):
        return None
    m = _CAMPUS.match(text, end)
    return m if m and _NOT_CAMPUS.isdisjoint(m.group(1).split()) else None


def find(text: str, defined: dict[str, str] | None = None) -> list[CandidateName]:
    out: list[CandidateName] = []

    def add(name, acronym, reason, kind, start, end, core=None):
        name = _LEADING.sub("", name.strip(" ,;:")).strip()
        if reason != "company":
            name = name.rstrip(".")
            name = re.sub(r"['’]s?$", "", name)
        if len(name) < 4 and not (reason == "context" and _ACRONYM.fullmatch(name)):
            return
        if len(name) > 120 or (_MAYBE_GENERIC.search(name) and fold_key(name) in GENERIC_TITLES):
            return  # "Office of the Inspector General": every agency has one
        campus = _campus(text, name, end)
        if campus and text[start:end].endswith(name):
            # "the University of Texas at Austin": a campus is part of the official name.
            name, end = name + text[end : campus.end()], campus.end()
        core = _LEADING.sub("", (core or name).strip(" ,.;:"))
        passage = sentence_around(text, start, end)
        out.append(CandidateName(name, core, acronym, reason, kind, start, end, passage))

    for m in _matches(LONG_THEN_ACR, _ACR_END, text):
        long_name, acr = m.group(1), m.group(2)
        # The name may start mid-phrase ("by the National Archives"): keep the part the
        # acronym fits.
        words = long_name.split()
        for i in range(len(words) - 1):
            tail = " ".join(words[i:])
            if words[i][0].isupper() and _acronym_fits(tail, acr):
                add(tail, acr, "definition", _definition_kind(tail), m.start(1), m.end())
                break
        else:
            translated = _translated(words, acr)
            if translated:
                at = m.start(1) + long_name.rindex(translated)
                add(translated, acr, "definition", _definition_kind(translated), at, m.end())
    for m in _matches(ACR_THEN_LONG, _OPENING, text):
        acr, long_name = m.group(1), m.group(2)
        if _acronym_fits(long_name, acr):
            add(long_name, acr, "definition", _definition_kind(long_name), m.start(), m.end(2))
    for m in _matches(COMPANY, _COMPANY_END, text, comma=True):
        add(m.group(0), "", "company", "contractor", m.start(), m.end(), core=m.group(1))
    for m in GOVERNMENT.finditer(text):
        at = m.start()
        for part in _GOVERNMENT_SPLIT.split(m.group(0)):
            at = text.find(part, at)
            add(part, "", "government", "agency", at, at + len(part))
            at += len(part)
    # A name found by its context inside one already found (or the other way round) is
    # the same name: the longest stands ("never cut short").
    taken = [(c.start, c.end) for c in out]
    for name, kind, a, b in _context_names(text):
        if any(s <= a and b <= e for s, e in taken):
            continue
        acronym = name if _ACRONYM.fullmatch(name) else ""
        if acronym and defined and acronym in defined:
            # "as the EFF noted", EFF defined in another article: the name in full.
            name = defined[acronym]
            kind = _definition_kind(name)
        add(name, acronym, "context", kind, a, b)
        taken.append((a, b))
    if defined:
        here = {c.acronym for c in out if c.acronym}
        for acr, long_name in defined.items():
            if acr in here:
                continue
            m = re.search(rf"(?<!\w){re.escape(acr)}(?!\w)", text) if acr in text else None
            if m:
                add(long_name, acr, "definition", _definition_kind(long_name), m.start(), m.end())
    # The longest of overlapping names stands.
    out.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[CandidateName] = []
    for c in out:
        # ("Bureau of Investigation" inside "Federal Bureau of Investigation": never cut short.)
        if any(k.start <= c.start and c.end <= k.end for k in kept):
            continue
        kept.append(c)
    # A bare acronym ("the TSA said") that abbreviates a name found in the article
    # ("Transportation Security Administration") is that name's acronym, not a second body.
    # (Each bare use of it: "as the EFF explains" twice is still the one body.)
    for i, c in enumerate(kept):
        if c is not None and c.reason == "context" and c.acronym and c.name == c.acronym:
            for j, other in enumerate(kept):
                if other is None or other.name == c.name:  # None: already folded
                    continue
                if other.acronym == c.acronym:
                    kept[i] = None
                    break
                if not other.acronym and _acronym_fits(other.name, c.acronym):
                    kept[j] = replace(other, acronym=c.acronym)
                    kept[i] = None
                    break
    kept = [c for c in kept if c is not None]
    # A short form of a name found in full elsewhere in the article ("Tessellate's chief
    # executive" after "Tessellate Geo LLC"): the same body, not a second one.
    longer = [k.name for k in kept if " " in k.name]
    return [
        c
        for c in kept
        if c.acronym or not any(n != c.name and n.startswith(c.name + " ") for n in longer)
    ]


def _definition_kind(name: str) -> str:
    """A defined name's kind: its organisation word's ("Electronic Privacy Information
    Center" is an organisation, "Transaction Record Analysis Center" a program), else the
    old word test (program, system, database ...; agency words)."""
    return _head_kind(name) or _guess_kind(name) or "organization"
