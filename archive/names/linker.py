"""Find the catalogue's entities in article text.

Rules (each one is a row in tests/test_linker.py or tests/test_lookalikes.py):
- acronyms and short forms match case-sensitively (ICE, CLEAR, TRAC never match "ice",
  "clear", "track"); so do one-word names (Apple, Google, Reuters never match "apple pie",
  "google it") and companies' names, which are brands ("Trust Stamp", not "a trust
  stamp"); other names match case-insensitively ("immigration and customs enforcement");
- straight and curly apostrophes are alike, and a possessive (ICE’s) is still ICE;
- an optional "U.S."/"US" prefix belongs to the name it precedes;
- at any position the longest name wins ("Homeland Security Investigations" is HSI, not DHS);
- an inline definition ("Long Name (ACR)", "ACR (Long Name)", "ACR [Long Name — ...]")
  is one mention, not two;
- an alias is only as broad as it is unambiguous:
  * a leading "the" in an alias is context, not name: "the IG" matches only after "the"
    (never "the Pentagon's IG"), and the span is "IG";
  * a title every body has (an inspector general, its office, a pilot program,
    administrative subpoenas: GENERIC_TITLES) links only in a text that also names the
    entity by a name that is not such a title (context "document");
  * a generic alias followed by "of"/"for"/"at" names someone else's ("the Supreme Court
    of Florida", "the inspector general for the Pentagon"), and one preceded by a state's
    name or "state" is the state's ("the Ohio Supreme Court"): such phrases are stop names,
    matched so that nothing shorter inside them links;
  * a program's name that starts with another entity's name ("ICE pilot program") links
    both: the other entity for its words, the program for the rest.

Every rule keeps the regex invariants archive.names.finder.Finder relies on: a match
starts at a word, its words are its name's words, and no decision looks behind the match
(the "document" rule looks only at the other matches, which the Finder's regions keep).
"""

import re
from dataclasses import dataclass, field

from ..models import Alias, Entity
from .text import fold_key

# Between two names of one entity, this gap makes them one definition: "X (Y", "X’s (Y", "X [Y".
# Never across a paragraph break: spans must stay inside one paragraph.
_DEFINITION_GAP = re.compile(r"(?:['’]s)?[^\S\n]*[(\[][^\S\n]*")

# Titles that every agency, court or department has one of: as an alias they name one
# entity only where the text names that entity otherwise (Name.context == DOCUMENT).
GENERIC_TITLES = frozenset(
    {
        "inspector general",
        "inspector general s office",
        "office of inspector general",
        "office of the inspector general",
        "ig",
        "oig",
        "pilot program",
        "pilot",
        "body camera pilot",
        "body worn camera pilot",
        "body camera pilot program",
        "body worn camera pilot program",
        "administrative subpoena",
        "administrative subpoenas",
        "self issued administrative subpoenas",
        "self issued subpoenas",
        "grant program",
    }
)
# Generic names a place's name or "state" before makes another body's ("the Ohio Supreme
# Court"), and which "of"/"for"/"at" after makes someone else's.
QUALIFIABLE = frozenset({"supreme court", "attorney general", "court of appeals"} | GENERIC_TITLES)
QUALIFIERS = tuple(
    q.replace("_", " ")
    for q in "state state's county tribal federal"
    " Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia"
    " Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland"
    " Massachusetts Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio"
    " Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin"
    " Wyoming Puerto_Rico New_Hampshire New_Jersey New_Mexico New_York North_Carolina"
    " North_Dakota Rhode_Island South_Carolina South_Dakota West_Virginia".split()
)
DOCUMENT = "document"
STOP = 0  # the entity id of a stop name: matched, never linked
_THE = re.compile(r"(?i:the)[^\S\n]+")


@dataclass(frozen=True)
class Name:
    text: str
    entity_id: int
    case_sensitive: bool
    # "" or DOCUMENT: link only in a text that names the entity by a name without context.
    context: str = ""
    # The first `head_words` words are another entity's name (`head_entity`): "ICE pilot
    # program" is ICE, then the program.
    head_entity: int = 0
    head_words: int = 0
    # Matched as written though no acronym: a one-word name (Apple, Google: never "apple
    # pie", "google it") or a company's name, which is a brand ("Trust Stamp", never "a
    # trust stamp"). Kept apart from case_sensitive, which also means "an acronym" to the
    # search (archive.search.entities.acronyms).
    exact: bool = False
    # A name every country or state has one of (a supreme court, an attorney general):
    # after a place's name ("India's Supreme Court") it is that place's, not ours.
    qualifiable: bool = False


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


def _split_the(text: str) -> tuple[bool, str]:
    """("the IG") -> (True, "IG"): a leading "the" is context, not name."""
    m = _THE.match(text.strip())
    return (True, text.strip()[m.end() :]) if m and text.strip()[m.end() :] else (False, text)


def _pattern(n: Name) -> str:
    lead, rest = _split_the(n.text)
    head = ""
    if n.head_words:
        # "ICE pilot program": the other entity's name keeps its own case ("ice pilot
        # program" is not ICE's).
        first, rest = rest.split(None, 1)
        head = _name_pattern(first) + r"[^\S\n]+"
    pattern = _name_pattern(rest)
    if not (n.case_sensitive or n.exact or (lead and is_acronym_like(rest))):
        pattern = f"(?i:{pattern})"
    if lead:
        # "the" in any case ("The IG said"); the name after it keeps its own case rule.
        pattern = rf"[Tt][Hh][Ee][^\S\n]+{pattern}"
    return head + pattern


_WORDS = re.compile(r"\w+")


class Linker:
    """Compiled once per catalogue; `find(text)` is then one regex pass over the text."""

    def __init__(self, names: list[Name]):
        self.names = [n for n in names if n.text.strip()]
        # Longest first, so the regex alternation prefers the longest name at each position.
        ordered = sorted(self.names, key=lambda n: (-len(n.text), n.text))
        self._by_group: list[Name] = []
        alternatives = []
        for n in ordered:
            alternatives.append(f"({_pattern(n)})")
            self._by_group.append(n)
        if alternatives:
            body = "|".join(alternatives)
            self._regex = re.compile(rf"(?<!\w)(?:(?:U\.S\.|US)[^\S\n]+)?(?:{body})(?!\w)")
        else:
            self._regex = None

    def _pieces(self, m: re.Match, n: Name):
        """(start, end, entity, name) of a match: the name's span without a leading "the",
        split in two when its first words are another entity's name ("U.S." stays with
        the first)."""
        start, end = m.span()
        name_start = m.start(m.lastindex)
        if _split_the(n.text)[0]:
            start = _THE.match(m.string, name_start).end()
        if n.head_entity and n.head_words:
            words = list(_WORDS.finditer(m.string, name_start, end))
            k = n.head_words
            if len(words) > k:
                return [
                    (start, words[k - 1].end(), n.head_entity, None),
                    (words[k].start(), end, n.entity_id, n),
                ]
        return [(start, end, n.entity_id, n)]

    def find(self, text: str) -> dict[int, Found]:
        return self.resolve(text, self.matches(text))

    def matches(self, text: str) -> list[tuple[int, int, int, bool, "Name | None"]]:
        """Every place a name matches, as (start, end, entity, counts, name): what the regex
        alone decides. `resolve` then reads what is around them."""
        if self._regex is None:
            return []
        matches: list[tuple[int, int, int, bool, Name | None]] = []  # start, end, entity, counts
        for m in self._regex.finditer(text):
            n = self._by_group[m.lastindex - 1]
            if n.entity_id == STOP:
                continue
            for start, end, entity_id, name in self._pieces(m, n):
                prev = matches[-1] if matches else None
                gap = (
                    _DEFINITION_GAP.fullmatch(text, prev[1], start)
                    if prev and prev[2] == entity_id
                    else None
                )
                if gap:
                    closing = ")" if "(" in gap.group() else "]"
                    if text[end : end + 1] == closing:
                        # "Immigration and Customs Enforcement (ICE)": one mention, one span.
                        matches[-1] = (prev[0], end + 1, entity_id, prev[3], prev[4])
                    else:
                        # "HSI [Homeland Security Investigations — a division of ICE]": the
                        # bracket closes later, so keep two spans (balanced links) but count one.
                        matches.append((start, end, entity_id, False, name))
                    continue
                matches.append((start, end, entity_id, True, name))
        return matches

    def resolve(
        self, text: str, matches: list[tuple[int, int, int, bool, "Name | None"]]
    ) -> dict[int, Found]:
        """The matches that link, read in the whole `text` (the Finder passes the matches
        it found in its regions, their offsets into the whole text):

        - a name followed by an organisation's head word is part of another body's name
          ("the Reuters Institute", "the Google Foundation"): no link;
        - a name every country or state has one of, after a place's name or its people's
          ("India's Supreme Court", "the Canadian Supreme Court"), is that place's;
        - a context-bound name (DOCUMENT), and a one-word name that reads as the ordinary
          word at the start of a sentence ("Apple orchards ..."), link only where the text
          also names the entity otherwise."""
        kept = [
            m
            for m in matches
            if not _ORG_HEAD.match(text, m[1])
            and not (m[4] is not None and m[4].qualifiable and _place_before(text, m[0]))
            and not (m[4] is not None and _word_compound(text, m[4], m[1]))
        ]
        doubtful = {
            i
            for i, (start, end, _, _, n) in enumerate(kept)
            if n is not None
            and (
                n.context == DOCUMENT
                or (n.exact and _is_word_name(n) and _reads_as_word(text, start, end))
            )
        }
        anchored = {m[2] for i, m in enumerate(kept) if i not in doubtful}
        found: dict[int, Found] = {}
        for i, (start, end, entity_id, counts, _) in enumerate(kept):
            if i in doubtful and entity_id not in anchored:
                continue
            hit = found.setdefault(entity_id, Found(entity_id))
            hit.spans.append((start, end))
            hit.count += counts
        return found


# Words that make a name before them part of another body's name ("the Reuters Institute").
_ORG_HEAD = re.compile(
    r"[^\S\n]+(?:Institute|Foundation|University|College|School|Center|Centre|Museum|"
    r"Society|Association|Council|Prize|Award|Fellowship|Fund|Library|Hospital)(?!\w)"
)
# What may stand between a sentence's end and its first word: spaces, quotes, brackets.
_OPENERS = " \t\u00a0\"“‘'(["


# Places (and their people's adjectives) whose supreme court, attorney general or inspector
# general is theirs, not the catalogue's (the states' plain names are stop names too).
PLACES = frozenset(
    (
        "Afghanistan Albania Algeria Argentina Armenia Australia Australian Austria Austrian"
        " Bangladesh Belarus Belgium Belgian Bolivia Brazil Brazilian Britain British Bulgaria"
        " Cambodia Canada Canadian Chile Chilean China Chinese Colombia Colombian Croatia Cuba"
        " Czech Denmark Danish Ecuador Egypt Egyptian England English Estonia Ethiopia EU"
        " European Finland Finnish France French Georgia Germany German Ghana Greece Greek"
        " Guatemala Honduras Hong Kong Hungary Hungarian Iceland India Indian Indonesia"
        " Indonesian Iran Iranian Iraq Iraqi Ireland Irish Israel Israeli Italy Italian Jamaica"
        " Japan Japanese Jordan Kazakhstan Kenya Kenyan Korea Korean Kuwait Latvia Lebanon"
        " Lithuania Malaysia Mexico Mexican Morocco Netherlands Dutch Nicaragua Nigeria"
        " Nigerian Norway Norwegian Pakistan Pakistani Panama Peru Philippines Philippine Poland"
        " Polish Portugal Portuguese Romania Russia Russian Saudi Scotland Scottish Serbia"
        " Singapore Slovakia Slovenia Spain Spanish Sweden Swedish Switzerland Swiss Syria"
        " Taiwan Thailand Turkey Turkish UK U.K. Uganda Ukraine Ukrainian Uruguay Venezuela"
        " Vietnam Wales Welsh Zimbabwe Alabama Alaska Arizona Arkansas California Colorado"
        " Connecticut Delaware Florida Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky"
        " Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi Missouri Montana"
        " Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont"
        " Virginia Washington Wisconsin Wyoming York Jersey Carolina Dakota Hampshire Rico"
        " Island state state's county"
    ).split()
)
_WORD_BEFORE = re.compile(r"([\w.]+?)(?:['’]s)?[^\S\n]+\Z")


# Acronyms that spell an ordinary word, with the words that make that word's everyday
# compounds: "ICE cream", "ICE skating", "an ICE cube" are the frozen water however they are
# typed (shouted headlines, all-caps captions); "ICE agents", "ICE detention" stay the agency.
WORD_COMPOUNDS = {
    # Only nouns that are never verbs nor the agency's own phrases: "ICE picks up", "ICE
    # Storms Apartment", "ICE age determinations", "an ICE fishing expedition" stay ICE.
    "ice": frozenset(
        "bath baths berg bergs bucket buckets cone cones cream creams crystal crystals cube"
        " cubes floe floes hockey lollies lolly rink rinks skater skaters skating tray trays"
        " tea".split()
    ),
    "clear": frozenset("skies sky".split()),
}
_FOLLOWING_WORD = re.compile(r"[^\S\n]*-?[^\S\n]*([A-Za-z]+)")


def _word_compound(text: str, n: "Name", end: int) -> bool:
    """An acronym that spells a word, followed by a word that makes the everyday compound
    ("ICE cream", "ICE-skating"): the ordinary word."""
    compounds = WORD_COMPOUNDS.get(n.text.lower()) if n.text.isupper() else None
    if not compounds:
        return False
    m = _FOLLOWING_WORD.match(text, end)
    return bool(m) and m.group(1).lower() in compounds


def _place_before(text: str, start: int) -> bool:
    """Whether the word before `start` is a place's name or its people's ("India's ",
    "Canadian ", "the state's ")."""
    m = _WORD_BEFORE.search(text, max(0, start - 40), start)
    return bool(m) and m.group(1) in PLACES


def _is_word_name(n: "Name") -> bool:
    """A one-word name written like a capitalised ordinary word (Apple, Amazon), not an
    acronym or a brand's own spelling (CLEAR, WhatsApp)."""
    word = n.text.strip()
    return len(word.split()) == 1 and word[:1].isupper() and word[1:].islower()


# After a company's one-word name at a sentence's start, words that make it the company
# (it acts: "Apple said", "Amazon sells"); any other lower-case word makes it read as the
# ordinary word ("Apple orchards", "Amazon rainforest"). Verbs in -ed and adverbs in -ly
# are read as acting too.
_ACTS = frozenset(
    "said says told tells sells sold sell has had have is was are were will would can could"
    " should may might must did does do declined declines announced announces confirmed"
    " confirms denied denies provided provides provide offers offered offer bought buys buy"
    " owns owned runs ran uses use makes made built builds hosts hosted gave gives got gets"
    " also and or then later now still never already just which that who whose".split()
)
_NEXT_WORD = re.compile(r"[^\S\n]+([a-z]\w*)")


def _reads_as_word(text: str, start: int, end: int) -> bool:
    """A one-word name at a sentence's start that reads as the ordinary word: followed by a
    lower-case word that is not one of a company acting ("Apple orchards in Washington")."""
    if not _opens(text, start):
        return False
    m = _NEXT_WORD.match(text, end)
    if m is None:
        return False  # "Apple’s", "Google,", "Amazon-owned": the name
    word = m.group(1)
    return word not in _ACTS and not word.endswith(("ed", "ly"))


def _opens(text: str, start: int) -> bool:
    """Whether `start` is the first word of a sentence or a line."""
    before = text[max(0, start - 12) : start].rstrip(_OPENERS)
    if not before:
        return start <= 12  # the text's start (or a very long run of quotes and spaces)
    return before[-1] in ".!?\n"


def is_acronym_like(name: str) -> bool:
    """A name with no lower-case letter (CLEAR, NCTUE) is an acronym: matched case-sensitively."""
    return not any(c.islower() for c in name)


def is_case_sensitive(name: str, flagged: bool = False) -> bool:
    """Whether a name is an acronym or short form, matched as written: flagged so, or
    acronym-like (CLEAR; RAVEn's acronym is flagged)."""
    lead, rest = _split_the(name)
    return flagged or is_acronym_like(rest)


def is_exact(name: str, kind: str = "") -> bool:
    """Whether a name that is no acronym still matches only as written: one word (Apple,
    Google: "apple pie" and "google it" are not the companies) or a company's name (a
    brand: "Trust Stamp", never "a trust stamp"). Other names match in any case
    ("immigration and customs enforcement")."""
    lead, rest = _split_the(name)
    return not lead and (len(rest.split()) == 1 or kind == "contractor")


@dataclass
class Entry:
    """One entity's names as the catalogue holds them: (text, flagged case-sensitive)."""

    entity_id: int
    kind: str
    names: list[tuple[str, bool]]


def compile_names(entries: list[Entry]) -> list[Name]:
    """The linker's names for the catalogue's entries, with the alias rules applied (see the
    module's docstring). The first of each entry's names is its own name; the rest aliases."""
    heads: dict[str, int] = {}  # another entity's name that may open a program's name
    for e in entries:
        if e.kind != "program":
            for text, flagged in e.names:
                if (is_case_sensitive(text, flagged) or is_exact(text)) and len(text.split()) == 1:
                    heads[text] = e.entity_id
    out: list[Name] = []
    stops: set[str] = set()
    for e in entries:
        for text, flagged in e.names:
            text = text.strip()
            if not text:
                continue
            lead, rest = _split_the(text)
            key = fold_key(rest)
            context = DOCUMENT if key in GENERIC_TITLES else ""
            cs = is_case_sensitive(text, flagged) and not lead
            head_entity = head_words = 0
            if e.kind == "program" and not lead:
                first = rest.split()[0]
                if heads.get(first, e.entity_id) != e.entity_id and len(rest.split()) > 1:
                    head_entity, head_words = heads[first], len(_WORDS.findall(first))
            exact = not cs and is_exact(text, e.kind)
            out.append(
                Name(
                    text,
                    e.entity_id,
                    cs,
                    context,
                    head_entity,
                    head_words,
                    exact,
                    qualifiable=key in QUALIFIABLE,
                )
            )
            if key in QUALIFIABLE:
                for word in ("of", "for", "at"):
                    stops.add(f"{text} {word}")
                if not lead and not context:
                    for q in QUALIFIERS:
                        stops.add(f"{q} {rest}")
    named = {fold_key(n.text) for n in out}
    out += [Name(s, STOP, False) for s in sorted(stops) if fold_key(s) not in named]
    return out


def catalogue_names() -> list[Name]:
    """Every name of every entity in the database, as the linker matches it."""
    entries: dict[int, Entry] = {}
    for e in Entity.objects.only("id", "name", "acronym", "kind"):
        entries[e.id] = Entry(e.id, e.kind, [(e.name, False)])
        if e.acronym:
            entries[e.id].names.append((e.acronym, True))
    for a in Alias.objects.only("entity_id", "name", "case_sensitive"):
        if a.entity_id in entries:
            entries[a.entity_id].names.append((a.name, a.case_sensitive))
    return compile_names(list(entries.values()))


def build_linker() -> Linker:
    return Linker(catalogue_names())


def entity_names() -> dict[int, str]:
    """Each entity's names (name, acronym, aliases) as one line of text, by entity id:
    what the search index reads to weigh an article's linked entities.

    An alias that holds another entity's name ("Department of Homeland Security's Office of
    Inspector General", "ICE pilot program") is left out: those words name the other
    entity, and indexed with this one they would make its articles answer a query for the
    other ("Homeland Security Investigations" finding the inspector general's report)."""
    names: dict[int, list[str]] = {}
    owner: dict[str, set[int]] = {}
    for e in Entity.objects.only("id", "name", "acronym"):
        names[e.id] = [e.name, e.acronym]
        for n in (e.name, e.acronym):
            if n:
                owner.setdefault(fold_key(n), set()).add(e.id)
    aliases = list(Alias.objects.only("entity_id", "name"))
    for a in aliases:
        owner.setdefault(fold_key(a.name), set()).add(a.entity_id)
    for a in aliases:
        words = fold_key(a.name).split()
        grams = (
            " ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)
        )
        if any(owner.get(g, {a.entity_id}) - {a.entity_id} for g in grams):
            continue
        names.setdefault(a.entity_id, []).append(a.name)
    return {k: " ".join(dict.fromkeys(n for n in v if n)) for k, v in names.items()}
