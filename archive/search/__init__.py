"""One search interface, one engine per database vendor.

    from archive.search import search, Filters
    results = search("wickr -amazon", filters=Filters(...), sort="relevance", page=1)

query.py   the query language -> a small tree
base.py    Filters, Results, the shared engine logic, search()
sqlite.py  FTS5 engine          postgres.py  tsvector + GIN engine
entities.py  entity cards and similar names      spelling.py  edit distance
"""

from .base import Filters, PageOutOfRange, Results, after_import, get_engine, search
from .query import parse

__all__ = [
    "Filters",
    "PageOutOfRange",
    "Results",
    "after_import",
    "get_engine",
    "parse",
    "search",
]
