"""One search interface, one engine per database vendor.

    from archive.search import search, Filters
    results = search("wickr -amazon", filters=Filters(...), sort="relevance", page=1)

query.py    the query language -> a small tree (words split by archive.names.text)
results.py  Filters in; Results, Hit, FacetValue out
service.py  search() and its named steps (the benchmark runs the same steps)
engine.py   the engine contract and the SQL shared by both engines
sqlite.py   FTS5 engine          postgres.py  tsvector + GIN engine
entities.py entity cards and similar names      spelling.py  edit distance
highlight.py bounded excerpts for marked titles and snippets

Depends on models and names only; never on ingest, curation or the pages.
"""

from .query import parse
from .results import SORTS, Filters, PageOutOfRange, Results, SearchTimeout
from .service import after_import, get_engine, search

__all__ = [
    "SORTS",
    "Filters",
    "PageOutOfRange",
    "Results",
    "SearchTimeout",
    "after_import",
    "get_engine",
    "parse",
    "search",
]
