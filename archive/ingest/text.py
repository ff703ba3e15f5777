"""Text normalisation shared by the linker, discovery and search."""

import re
import unicodedata

# Typographic punctuation a reader never types: fold it to ASCII so ' and ’ match alike.
_PUNCT = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"', "„": '"'})


def fold_quotes(text: str) -> str:
    return text.translate(_PUNCT)


def fold_key(text: str) -> str:
    """A case-, accent- and punctuation-insensitive key for comparing names."""
    text = unicodedata.normalize("NFKD", fold_quotes(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


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
