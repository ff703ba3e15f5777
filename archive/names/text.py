"""Text normalisation shared by the linker, discovery, curation and search.

One quote table and one folding rule, so the importer, an editor's alias check and the
search box read "driver’s", "driver's" and "Drivér's" as the same words.
"""

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Typographic quotes a reader never types, folded to ASCII so ’ and ' (“ and ") are alike.
QUOTES = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
    }
)
# Letters and digits: how the search indexes split words (apostrophes, hyphens and
# underscores separate them).
_WORD = re.compile(r"[^\W_]+")


def fold_quotes(text: str) -> str:
    return text.translate(QUOTES)


def fold(text: str) -> str:
    """Quotes folded and diacritics removed; case kept (acronyms are recognised by case)."""
    text = unicodedata.normalize("NFKD", fold_quotes(text))
    return "".join(c for c in text if not unicodedata.combining(c))


def raw_words(text: str) -> list[str]:
    """The words of `text` as the index splits them, in their own case."""
    return _WORD.findall(fold(text))


def words(text: str) -> list[str]:
    """The words of `text` as the index stores them: lower-case, diacritics folded."""
    return [w.lower() for w in raw_words(text)]


def fold_key(text: str) -> str:
    """A case-, accent- and punctuation-insensitive key for comparing names."""
    return " ".join(words(text))


_SENTENCE_END = re.compile(r"[.!?…][”\"’)\]]?(?=\s|$)")


def sentence_around(text: str, start: int, end: int, limit: int = 400) -> str:
    """The sentence containing text[start:end] (within its paragraph), trimmed to `limit`."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end == -1 else para_end
    left = para_start
    for m in _SENTENCE_END.finditer(text, para_start, start):
        left = m.end()
    m = _SENTENCE_END.search(text, end, para_end)
    right = m.end() if m else para_end
    passage = text[left:right].strip()
    if len(passage) > limit:
        rel = start - left
        lo = max(0, rel - limit // 2)
        passage = ("…" if lo else "") + passage[lo : lo + limit].strip() + "…"
    return passage


# Private-use characters that mark a match (search highlights, an entity page's passage).
# The importer removes them from article text, so after escaping they can only be ours.
MARK_START, MARK_END = "\ue000", "\ue001"
WITHOUT_MARKS = str.maketrans("", "", MARK_START + MARK_END)


def mark(fragment: str) -> SafeString:
    """Escape first, then mark: no text from an article or an engine reaches a page
    unescaped; only our own sentinels become <mark> elements."""
    html = escape(fragment or "")
    return mark_safe(html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
