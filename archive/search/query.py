"""The query language, parsed once into a small tree that each engine compiles.

    words           all must match, stemmed ("detainees" finds "detainee")
    "exact phrase"  straight or curly quotes
    a OR b          either (OR in capitals; binds tighter than the implicit AND)
    -word -"a b"    exclusion (NOT word works too)
    prefix*         any word starting with prefix

Everything else is text: parentheses, colons, AND, lone operators and unbalanced quotes
never reach the engine as syntax. Words are split the way the index splits them (letters
and digits; apostrophes and hyphens separate), so "driver’s" = "driver's" = the phrase
"driver s", and "e-mail" is the phrase "e mail".
"""

import re
from dataclasses import dataclass, field

from ..names.text import QUOTES, raw_words, words

MAX_QUERY_CHARS = 1000  # longer input is cut, not refused: a pasted paragraph still searches
MAX_CLAUSES = 32

_TOKEN = re.compile(r'(-?)"([^"]*)("?)|(\S+)')

__all__ = ["AnyOf", "Query", "Term", "parse", "words"]


@dataclass(frozen=True)
class Term:
    """One word, a phrase (several words in order), or a prefix (last word is a prefix)."""

    words: tuple[str, ...]
    prefix: bool = False
    # An acronym of the catalogue typed in its own case (CLEAR, ICE, RAVEn): like the linker,
    # it means the entity, not the common word ("clear"), so it matches only articles linked
    # to an entity with that name (the indexed entity names), ranked by the word as usual.
    acronym: str = ""

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    def with_words(self, new_words: tuple[str, ...]) -> "Term":
        return Term(new_words, self.prefix, self.acronym if new_words == self.words else "")

    def __str__(self):
        text = self.acronym or " ".join(self.words)
        return (f'"{text}"' if self.is_phrase else text) + ("*" if self.prefix else "")


@dataclass(frozen=True)
class AnyOf:
    """Alternatives joined by OR; a single-term AnyOf is a plain required term."""

    terms: tuple[Term, ...]

    def __str__(self):
        return " OR ".join(map(str, self.terms))


@dataclass
class Query:
    must: list[AnyOf] = field(default_factory=list)
    must_not: list[Term] = field(default_factory=list)
    raw: str = ""

    @property
    def is_empty(self) -> bool:
        """Nothing to match: a browse of the archive (exclusions alone can't be searched)."""
        return not self.must

    def positive_terms(self) -> list[Term]:
        return [t for clause in self.must for t in clause.terms]

    def __str__(self):
        parts = [str(c) if len(c.terms) == 1 else f"({c})" for c in self.must]
        parts += [f"-{t}" for t in self.must_not]
        return " ".join(parts)


def _make_term(token: str, term_words: list[str], prefix: bool, acronyms: frozenset[str]) -> Term:
    if not prefix and len(term_words) == 1 and acronyms:
        raw = raw_words(token)
        if len(raw) == 1 and raw[0] in acronyms:
            return Term(tuple(term_words), acronym=raw[0])
    return Term(tuple(term_words), prefix=prefix)


def parse(text: str, acronyms: frozenset[str] | set[str] = frozenset()) -> Query:
    """`acronyms`: the catalogue's case-sensitive one-word names (see Term.acronym)."""
    acronyms = frozenset(acronyms)
    text = (text or "").replace("\x00", " ")[:MAX_QUERY_CHARS].translate(QUOTES)
    query = Query(raw=text)
    pending_or = False
    negate_next = False
    for m in _TOKEN.finditer(text):
        neg_quote, phrase, _closing, bare = m.groups()
        if bare is not None:
            if bare == "OR":
                pending_or = bool(query.must)
                continue
            if bare in {"AND", "&&"}:
                continue
            if bare in {"NOT", "!"}:
                negate_next = True
                continue
            negated = negate_next or (bare.startswith("-") and len(bare) > 1)
            token = bare.lstrip("-") if bare.startswith("-") else bare
            prefix = token.endswith("*")
            term_words = words(token)
            if not term_words:
                negate_next = False if not negated else negate_next
                continue
            term = _make_term(token, term_words, prefix and len(term_words[-1]) >= 2, acronyms)
        else:
            negated = negate_next or neg_quote == "-"
            term_words = words(phrase)
            if not term_words:
                continue
            term = _make_term(phrase, term_words, False, acronyms)
        negate_next = False
        if negated:
            if len(query.must_not) < MAX_CLAUSES:
                query.must_not.append(term)
            pending_or = False
            continue
        if pending_or and query.must:
            last = query.must[-1]
            query.must[-1] = AnyOf(last.terms + (term,))
        elif len(query.must) < MAX_CLAUSES:
            query.must.append(AnyOf((term,)))
        pending_or = False
    return query
