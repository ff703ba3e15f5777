"""Entities named by a query: the cards shown above results, and "similar names"."""

import re
from contextlib import contextmanager
from contextvars import ContextVar

from .. import state
from ..models import Entity, Mention
from ..names.finder import finder
from ..names.linker import Linker, build_linker
from ..names.text import fold_key, words
from .spelling import distance

_linkers: dict[tuple, Linker] = {}


_NO_KEY = object()
# The archive's last change as the caller read it for this request (search(version=...)),
# so one search reads it once, however many of its steps ask.
_REQUEST_VERSION: ContextVar = ContextVar("archive_search_version", default=_NO_KEY)


def _version():
    """The archive's last change: every save of an entity or an alias moves it (model
    signals), a rename included, which a count or a highest id would miss."""
    version = _REQUEST_VERSION.get()
    return state.last_change() if version is _NO_KEY else version


@contextmanager
def reading_version(version):
    """Within this block, the steps of a search key their caches on `version`."""
    token = _REQUEST_VERSION.set(version)
    try:
        yield
    finally:
        _REQUEST_VERSION.reset(token)


def _linker(key=_NO_KEY) -> Linker:
    """The catalogue's names compiled once per catalogue version, not once per request."""
    if key is _NO_KEY:
        key = _version()
    if key not in _linkers:
        _linkers.clear()
        _linkers[key] = build_linker()
    return _linkers[key]


def acronyms() -> frozenset[str]:
    """The catalogue's one-word names that match case-sensitively (CLEAR, ICE, RAVEn)."""
    linker = _linker()
    cached = getattr(linker, "_search_acronyms", None)
    if cached is None:
        cached = frozenset(
            n.text.strip() for n in linker.names if n.case_sensitive and len(words(n.text)) == 1
        )
        linker._search_acronyms = cached
    return cached


def entities_named(text: str) -> list[Entity]:
    """Entities the query names by any of their names (acronyms in their own case), each
    with its `article_count` (visible mentions), remembered per archive version: counting
    ICE's 50,000 mentions on every search cost ~75 ms at 100,000 articles."""
    text = (text or "")[:1000]
    if not text.strip():
        return []
    version = _version()
    found = _linker(version).find(re.sub(r'["“”*]', " ", text))
    if not found:
        return []
    by_id = Entity.objects.in_bulk(list(found))
    out = []
    for i in found:
        if i in by_id:
            e = by_id[i]
            e.article_count = state.remember(
                f"search-entity-articles:{i}",
                lambda i=i: Mention.objects.visible().filter(entity_id=i).count(),
                version,
            )
            out.append(e)
    return out


def entity_names(entity_ids) -> dict[int, list[str]]:
    """Every name the linker knows for these entities (name, acronym, aliases): what a
    query naming them highlights. From the compiled catalogue, no query."""
    wanted = set(entity_ids)
    out: dict[int, list[str]] = {}
    for n in _latest().names:
        if n.entity_id in wanted:
            out.setdefault(n.entity_id, []).append(n.text.strip())
    return out


def entities_in(text: str) -> set[int]:
    """The entities a short text (a title) names, by the linker's rules."""
    return set(finder(_latest()).find(text)) if text else set()


def names_any(text: str, entity_ids: frozenset[int]) -> bool:
    """Whether a short text (a title) names any of these entities, by the linker's rules;
    the same answer as `entities_in(text) & entity_ids`, at a fraction of the cost over the
    2,000 titles of a ranked window. Any match of a name holds each of its words (case
    aside), so a title without the longest word of any name that can yield these entities
    cannot name them; the others are read by the Finder (the linker only where a name can
    start: Linker.find over a whole title cost 180 µs, 0.4 s for a window of ICE
    articles)."""
    if not text:
        return False
    folded = text.casefold()
    if not any(key in folded for key in _name_keys(entity_ids)):
        return False
    return bool(entity_ids.intersection(finder(_latest()).find(text)))


def _name_keys(entity_ids: frozenset[int]) -> list[str]:
    linker = _latest()
    cache = linker.__dict__.setdefault("_search_name_keys", {})
    if entity_ids not in cache:
        if len(cache) > 1000:  # one entry per set of named entities: bounded all the same
            cache.clear()
        keys = set()
        for n in linker.names:
            if n.entity_id in entity_ids or n.head_entity in entity_ids:
                longest = max(re.findall(r"\w+", n.text), key=len, default="")
                # A name with no word character: no cheap key, so every title is read.
                keys.add(longest.casefold())
        cache[entity_ids] = sorted(keys)
    return cache[entity_ids]


def _latest() -> Linker:
    """The linker entities_named just used (same search), without asking the version again."""
    return next(iter(_linkers.values())) if _linkers else _linker()


def similar_entities(text: str, limit: int = 5) -> list[Entity]:
    """Entities whose names are close to the query: for "nothing matched" pages."""
    key = fold_key(text)[:100]
    if len(key) < 3:
        return []
    scored = []
    for e in Entity.objects.prefetch_related("aliases"):
        for name in [e.name, e.acronym, *(a.name for a in e.aliases.all())]:
            n = fold_key(name)
            if not n:
                continue
            limit_d = 1 if len(key) <= 5 else 2
            if (
                key in n.split()
                or distance(key, n, limit_d) <= limit_d
                or (len(key) >= 4 and n.startswith(key))
            ):
                scored.append((distance(key, n, 9), e.name, e))
                break
    return [e for _, _, e in sorted(scored, key=lambda s: (s[0], s[1]))[:limit]]
