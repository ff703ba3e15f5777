"""What a linking depends on (linker_version), and the Finder the importer links with
(archive.names.finder: Linker.find run only where a name can start, shared with the search,
which reads titles with it)."""

import hashlib

from ..names.finder import Finder, finder
from ..names.linker import Linker, entity_names

__all__ = ["LINK_RULES", "Finder", "finder", "linker_version"]

# Bump when the linking rules change in a way the catalogue's names do not show: every
# article is then relinked by the next import.
LINK_RULES = "4"  # 3: the words around a name; 4: an acronym that spells a word ("ICE cream")


def linker_version(linker: Linker, names: dict[int, str] | None = None) -> str:
    """What a linking depends on: the linker's names (each with its entity and case rule),
    the entity names the search index is given (entity_text), and LINK_RULES. Stored on
    each article linked (Article.linked_with): a re-import relinks an unchanged article
    only when this differs."""
    names = entity_names() if names is None else names
    h = hashlib.sha256(LINK_RULES.encode())
    # Every field of each Name: whether it is case-exact, context-bound or an operator's
    # prefix depends on the entity's kind, not only on its text.
    for n in sorted(repr(n) for n in linker.names):
        h.update(n.encode())
    h.update(repr(sorted(names.items())).encode())
    return h.hexdigest()
