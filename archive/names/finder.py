"""Linking at bulk speed: the same answer as Linker.find, at a fraction of its cost.

Linker.find is one regex, an alternation of every catalogue name, run at every position of
the text: about 2 µs a character, 8 ms for a 600-word article, which alone held imports to
~100 articles a second. Most of the text can never start a name, so `Finder.find` runs
Linker.find only over *regions* that can, and shifts the offsets back. The rules stay in
archive.names.linker (this module never decides what matches); it only relies on what the
linker's regex guarantees, each checked when the Finder is built (else it falls back to
Linker.find over the whole text):

1. A name's pattern never crosses a line break, and every name starts with a word
   character: a match starts at the start of a word (the regex opens with (?<!\\w)), a
   word equal (case-folded) to the first word of some name, or at "U.S."/"US" before one.
2. A name of k words (runs of \\w) matches exactly k words of text (its spaces, hyphens,
   apostrophes and other punctuation match only non-word characters), plus two for the
   "U.S." prefix.
3. An inline definition joins two matches only across a gap of spaces, brackets and an
   optional "'s"; never across a line.

So a region opens at a candidate word (its left neighbour is not a word character, as at
the start of the text), covers as many words as the longest name that can start there,
extends to the next whitespace (so a closing ")" or a final "." belongs to it and the
lookahead sees what it sees in the whole text), and regions separated only by a gap that
could be a definition's are joined. Linker.find over each region then finds exactly what it
finds in the whole text (tests/test_import_bulk.py compares the two on every seed and on
a generated corpus).
"""

import bisect
import re
import weakref

from .linker import Found, Linker

_TOKEN = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
# Characters after which a name's pattern stops being plain text (see names.linker).
_SPECIAL = re.compile(r"[\s'’‘\-–—]")
# A stretch between two regions that an inline definition could span (a superset of the
# linker's definition gap): no line break, and no word but an "s".
_GAP_LIKE = re.compile(r"[^\w\n]*(?:s[^\w\n]*)?")
_SPACE = re.compile(r"\s")
_END = ""  # a trie key no word can be
_PREFIX = re.compile(r"(?:U\.S\.|US)[^\S\n]+\Z")


class Finder:
    """Linker.find, run only where a name can start (see the module's docstring)."""

    def __init__(self, linker: Linker):
        self.linker = linker
        self.whole = False  # fall back to Linker.find over the whole text
        # Each name's opening text up to its first space, hyphen or apostrophe (where its
        # pattern stops being literal): exact for names matched case-sensitively, else
        # case-folded. Value: the most words a name opening so has.
        self.exact: set[str] = set()
        self.folded: set[str] = set()
        # The names' words, case-folded, as a trie: how many words a match from a place can
        # cover is the deepest name the words there spell (END marks a name's last word).
        self.trie: dict = {}
        for name in linker.names:
            text = name.text.strip()
            words = [w.casefold() for w in _TOKEN.findall(text)]
            head = _SPECIAL.split(text, maxsplit=1)[0]
            if not words or not head or not _WORD_CHAR.match(text) or "\n" in text:
                self.whole = True
                return
            if name.case_sensitive:
                self.exact.add(head)
            else:
                self.folded.add(head.casefold())
            node = self.trie
            for w in words:
                node = node.setdefault(w, {})
            node[_END] = True
        # The keys by their first word (exact, or case-folded), for _starts.
        self.by_word: dict[str, list[str]] = {}
        self.by_folded_word: dict[str, list[str]] = {}
        for keys, index in ((self.exact, self.by_word), (self.folded, self.by_folded_word)):
            for key in keys:
                index.setdefault(_TOKEN.match(key).group(), []).append(key)
        # The same first words as two regexes, so the scan for them runs in C and Python
        # sees only the words that open some name (tens an article, not every word).
        self.exact_words = _words_pattern(self.by_word)
        self.folded_words = _words_pattern(self.by_folded_word)

    def _reach(self, text: str, at: int) -> int:
        """The most words a name starting at `at` can cover (0: none can start there)."""
        node, depth, reach = self.trie, 0, 0
        for m in _TOKEN.finditer(text, at):
            node = node.get(m.group().casefold())
            if node is None:
                break
            depth += 1
            if _END in node:
                reach = depth
        return reach

    def _starts(self, text: str) -> list[tuple[int, int]] | None:
        """Where a name may start, with the most words it may cover (None: read it all).
        Duplicates (two keys opening at one place) are harmless: regions are joined."""
        folded = text.casefold()
        if len(folded) != len(text):
            return None  # a character folds to several: offsets would not line up
        # A key starts with a word character, so it can only open at the start of a run of
        # them, whose first word must then be the key's own first word (a name of k words
        # matches exactly k words): one pass over the words, a dict lookup each, instead of
        # a scan of the text per key.
        opened: set[int] = set()
        for pattern, haystack, index in (
            (self.exact_words, text, self.by_word),
            (self.folded_words, folded, self.by_folded_word),
        ):
            if pattern is None:
                continue
            for m in pattern.finditer(haystack):
                at = m.start()
                if at not in opened and any(haystack.startswith(k, at) for k in index[m.group()]):
                    opened.add(at)
        out = []
        for at in sorted(opened):
            if words := self._reach(text, at):
                out.append((at, words))
        return out

    def regions(self, text: str) -> list[tuple[int, int]] | None:
        starts = self._starts(text)
        if starts is None:
            return None
        out: list[list[int]] = []
        for at, words in starts:
            start = at
            # "U.S." or "US" before a name belongs to it (the linker's optional prefix).
            prefix = _PREFIX.search(text, max(0, at - 40), at)
            if prefix and (not prefix.start() or not _WORD_CHAR.match(text, prefix.start() - 1)):
                start = prefix.start()
            last = at
            for _, m in zip(range(words), _TOKEN.finditer(text, at), strict=False):
                last = m.end()
            space = _SPACE.search(text, last)
            end = space.start() if space else len(text)
            if out and (start <= out[-1][1] or _GAP_LIKE.fullmatch(text, out[-1][1], start)):
                out[-1][1] = max(out[-1][1], end)
            else:
                out.append([start, end])
        return [(a, b) for a, b in out]

    def find(self, text: str) -> dict[int, Found]:
        regions = None if self.whole else self.regions(text)
        if regions is None:
            return self.linker.find(text)
        # The regions, one per line: no match and no definition crosses a line, and a line
        # break is what the whole text has around each region as far as the linker can
        # tell (not a word character; not a closing bracket). One call instead of many.
        joined, offsets, at = [], [], 0
        for a, b in regions:
            offsets.append((at, a - at))
            joined.append(text[a:b])
            at += b - a + 1
        matches = self.linker.matches("\n".join(joined))
        starts = [o for o, _ in offsets]
        shifted = []
        for s, e, entity_id, counts, name in matches:
            shift = offsets[bisect.bisect_right(starts, s) - 1][1]
            shifted.append((s + shift, e + shift, entity_id, counts, name))
        # What links is decided in the whole text: the words around each match.
        return self.linker.resolve(text, shifted)


def _words_pattern(index: dict[str, list[str]]) -> re.Pattern | None:
    """Any of these words, as a whole run of word characters (what _TOKEN finds). Written
    as a trie ("i(?:ce|mmigration)"), not a flat alternation: the regex engine then tries
    one branch per letter instead of every word at every place (twice as fast a scan)."""
    if not index:
        return None
    return re.compile(r"(?<!\w)" + _trie_regex(sorted(index)) + r"(?!\w)")


def _trie_regex(words: list[str]) -> str:
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = True

    def walk(node: dict) -> str:
        ends = _END in node
        branches = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A word ends here and longer ones go on: the longer is tried first (greedy), and
        # the lookahead after the whole pattern backs off to the shorter.
        return "(?:" + body + ")?" if ends else body

    return "(?:" + walk(trie) + ")"


_finders: "weakref.WeakKeyDictionary[Linker, Finder]" = weakref.WeakKeyDictionary()


def finder(linker: Linker) -> Finder:
    """The Finder of `linker`, built once."""
    if (f := _finders.get(linker)) is None:
        f = _finders[linker] = Finder(linker)
    return f
