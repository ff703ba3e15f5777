"""Find the catalogue's entities in article text.

Rules (each one is a row in tests/test_linker.py):
- acronyms and short forms match case-sensitively (ICE, CLEAR, TRAC never match "ice",
  "clear", "track"); names match case-insensitively;
- straight and curly apostrophes are alike, and a possessive (ICE’s) is still ICE;
- an optional "U.S."/"US" prefix belongs to the name it precedes;
- at any position the longest name wins ("Homeland Security Investigations" is HSI, not DHS);
- an inline definition ("Long Name (ACR)", "ACR (Long Name)", "ACR [Long Name — ...]")
  is one mention, not two.
"""

import re
from dataclasses import dataclass, field

from ..models import Alias, Entity

# Between two names of one entity, this gap makes them one definition: "X (Y", "X’s (Y", "X [Y".
# Never across a paragraph break: spans must stay inside one paragraph.
_DEFINITION_GAP = re.compile(r"(?:['’]s)?[^\S\n]*[(\[][^\S\n]*")


@dataclass(frozen=True)
class Name:
    text: str
    entity_id: int
    case_sensitive: bool


@dataclass
class Found:
    entity_id: int
    spans: list[tuple[int, int]] = field(default_factory=list)
    count: int = 0  # mentions: an inline definition is one, even when it is two spans


def _name_pattern(text: str) -> str:
    parts = []
    for ch in text.strip():
        if ch in "'’‘":
            parts.append("['’‘]")
        elif ch.isspace():
            if parts and parts[-1] != r"[^\S\n]+":
                parts.append(r"[^\S\n]+")
        elif ch in "-–—":
            parts.append(r"[-–—\ ]")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


class Linker:
    """Compiled once per catalogue; `find(text)` is then one regex pass over the text."""

    def __init__(self, names: list[Name]):
        self.names = [n for n in names if n.text.strip()]
        # Longest first, so the regex alternation prefers the longest name at each position.
        ordered = sorted(self.names, key=lambda n: (-len(n.text), n.text))
        self._by_group: list[int] = []
        alternatives = []
        for n in ordered:
            pattern = _name_pattern(n.text)
            if not n.case_sensitive:
                pattern = f"(?i:{pattern})"
            alternatives.append(f"({pattern})")
            self._by_group.append(n.entity_id)
        if alternatives:
            body = "|".join(alternatives)
            self._regex = re.compile(rf"(?<!\w)(?:(?:U\.S\.|US)[^\S\n]+)?(?:{body})(?!\w)")
        else:
            self._regex = None

    def find(self, text: str) -> dict[int, Found]:
        if self._regex is None:
            return {}
        matches: list[tuple[int, int, int, bool]] = []  # start, end, entity, counts
        for m in self._regex.finditer(text):
            entity_id = self._by_group[m.lastindex - 1]
            start, end = m.span()
            prev = matches[-1] if matches else None
            gap = (
                _DEFINITION_GAP.fullmatch(text, prev[1], start)
                if prev and prev[2] == entity_id
                else None
            )
            if gap:
                closing = ")" if "(" in gap.group() else "]"
                if text[end : end + 1] == closing:
                    # "Immigration and Customs Enforcement (ICE)": one mention, one balanced span.
                    matches[-1] = (prev[0], end + 1, entity_id, prev[3])
                else:
                    # "HSI [Homeland Security Investigations — a division of ICE]": the bracket
                    # closes later, so keep two spans (balanced links) but count one mention.
                    matches.append((start, end, entity_id, False))
                continue
            matches.append((start, end, entity_id, True))
        found: dict[int, Found] = {}
        for start, end, entity_id, counts in matches:
            hit = found.setdefault(entity_id, Found(entity_id))
            hit.spans.append((start, end))
            hit.count += counts
        return found


def is_acronym_like(name: str) -> bool:
    """A name with no lower-case letter (CLEAR, NCTUE) is an acronym: matched case-sensitively."""
    return not any(c.islower() for c in name)


def catalogue_names() -> list[Name]:
    """Every name of every entity in the database, as the linker matches it."""
    names: list[Name] = []
    for e in Entity.objects.only("id", "name", "acronym"):
        names.append(Name(e.name, e.id, is_acronym_like(e.name)))
        if e.acronym:
            names.append(Name(e.acronym, e.id, True))
    for a in Alias.objects.only("entity_id", "name", "case_sensitive"):
        names.append(Name(a.name, a.entity_id, a.case_sensitive or is_acronym_like(a.name)))
    return names


def build_linker() -> Linker:
    return Linker(catalogue_names())


def entity_names() -> dict[int, str]:
    """Each entity's names (name, acronym, aliases) as one line of text, by entity id:
    what the search index reads to weigh an article's linked entities."""
    names: dict[int, list[str]] = {}
    for e in Entity.objects.only("id", "name", "acronym"):
        names[e.id] = [e.name, e.acronym]
    for a in Alias.objects.only("entity_id", "name"):
        names.setdefault(a.entity_id, []).append(a.name)
    return {k: " ".join(dict.fromkeys(n for n in v if n)) for k, v in names.items()}
