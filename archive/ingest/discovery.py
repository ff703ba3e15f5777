"""Find candidate entities: names the catalogue lacks, for an editor to decide on (never
published until approved).

Three shapes of name are collected:
- inline definitions in either direction: "Long Name (ACR)" and "ACR (Long Name)";
- organisations with a company suffix: "Acme Analytics, Inc.", "Foo LLC", "Bar Corporation";
- government bodies: "Department of ...", "Office of ...", "Bureau of ...".
"""

import re
from dataclasses import dataclass

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
    rf"(?:Department|Office|Bureau){_SP}of{_SP}(?:the{_SP})?{_WORD}(?:{_SP}(?:and{_SP}|&{_SP})?{_WORD})*"
)

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


def _matches(pattern: re.Pattern, ends: re.Pattern, text: str, comma: bool = False):
    for a, b in _windows(text, ends, comma):
        yield from pattern.finditer(text, a, b)


def find(text: str) -> list[CandidateName]:
    out: list[CandidateName] = []

    def add(name, acronym, reason, kind, start, end, core=None):
        name = _LEADING.sub("", name.strip(" ,;:")).strip()
        if reason != "company":
            name = name.rstrip(".")
        if len(name) < 4 or len(name) > 120:
            return
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
                add(tail, acr, "definition", _guess_kind(tail), m.start(1), m.end())
                break
    for m in ACR_THEN_LONG.finditer(text):
        acr, long_name = m.group(1), m.group(2)
        if _acronym_fits(long_name, acr):
            add(long_name, acr, "definition", _guess_kind(long_name), m.start(), m.end(2))
    for m in _matches(COMPANY, _COMPANY_END, text, comma=True):
        add(m.group(0), "", "company", "contractor", m.start(), m.end(), core=m.group(1))
    for m in GOVERNMENT.finditer(text):
        add(m.group(0), "", "government", "agency", m.start(), m.end())
    return out
