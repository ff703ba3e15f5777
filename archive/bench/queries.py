"""The fixed query set, timed (a) as the whole search page through Django and (b) as the
engine's own work for it (count + one page of ids), plus a breakdown of the other parts of
search() (facets, highlights, spelling) to show where the page's time goes."""

import math
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict
from django.test import Client

from ..filters import SearchFilterSet
from ..search import Results, get_engine, service
from .corpus import MEDIUM_WORD, PLANTED_QUERY, RARE_WORDS, planted_slugs
from .site import forget_rendered

ICE = {"agency": "ice"}
TR = {"contractor": "thomson-reuters"}
DATES = {"published_after": "2010-01-01", "published_before": "2012-12-31"}
NEWEST = {"sort": "newest"}

# (label, class, parameters). Every class runs with and without filters.
QUERIES: list[tuple[str, str, dict]] = [
    ("common word", "common", {"q": "surveillance"}),
    ("common word +agency", "common", {"q": "surveillance", **ICE}),
    ("common word +dates", "common", {"q": "surveillance", **DATES}),
    ("common word newest", "common", {"q": "surveillance", **NEWEST}),
    ("common word page 50", "common", {"q": "surveillance", **NEWEST, "page": "50"}),
    ("two common words", "common", {"q": "government data"}),
    ("rare word", "rare", {"q": RARE_WORDS[0]}),
    ("rare word +agency", "rare", {"q": RARE_WORDS[1], **ICE}),
    ("medium word +dates", "rare", {"q": MEDIUM_WORD, **DATES}),
    ("phrase", "phrase", {"q": '"facial recognition"'}),
    ("phrase +contractor", "phrase", {"q": '"facial recognition"', **TR}),
    ("OR", "or", {"q": "wickr OR whatsapp"}),
    ("OR +dates newest", "or", {"q": "wickr OR whatsapp", **DATES, **NEWEST}),
    ("exclusion", "exclusion", {"q": "data -immigration"}),
    ("exclusion +agency", "exclusion", {"q": "data -immigration", "agency": "cbp"}),
    ("prefix", "prefix", {"q": "surveil*"}),
    ("prefix newest", "prefix", {"q": "subpoen*", **NEWEST}),
    ("acronym ICE", "entity", {"q": "ICE"}),
    ("acronym ICE +contractor", "entity", {"q": "ICE", **TR}),
    ('"Thomson Reuters"', "entity", {"q": '"Thomson Reuters"'}),
    ("Reuters +dates", "entity", {"q": "Reuters", **DATES}),
    ("alias", "alias", {"q": "Immigration and Customs Enforcement"}),
    ("alias phrase newest", "alias", {"q": '"Immigration and Customs Enforcement"', **NEWEST}),
    ("miss + suggestion", "miss", {"q": "subpena"}),
    ("miss +agency", "miss", {"q": "survelance", **ICE}),
    ("browse newest", "browse", {}),
    ("browse +agency", "browse", {**ICE}),
]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (with 5 samples p95 is the slowest)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, math.ceil(p * len(s)) - 1))
    return s[k]


@dataclass
class QueryTiming:
    label: str
    cls: str
    params: dict
    matches: int = 0
    page_ms: list[float] = field(default_factory=list)
    engine_ms: list[float] = field(default_factory=list)
    facets_ms: list[float] = field(default_factory=list)
    highlight_ms: list[float] = field(default_factory=list)
    spelling_ms: list[float] = field(default_factory=list)
    cold_page_ms: float = 0.0  # the warm-up run: first use of caches (linker, vocabulary)
    suggested: bool = False
    budget_cut: bool = False  # fewer runs than --repeat (the query exceeded --budget)
    status: int = 0

    def stats(self, name: str) -> tuple[float, float]:
        values = getattr(self, name)
        return (statistics.median(values), percentile(values, 0.95)) if values else (0.0, 0.0)

    def as_dict(self) -> dict:
        out = {
            "label": self.label,
            "class": self.cls,
            "params": self.params,
            "url": self.url,
            "matches": self.matches,
            "status": self.status,
            "suggestion_shown": self.suggested,
            "cold_page_ms": round(self.cold_page_ms, 2),
            "runs": len(self.page_ms),
            "budget_cut": self.budget_cut,
        }
        for name in ("page_ms", "engine_ms", "facets_ms", "highlight_ms", "spelling_ms"):
            p50, p95 = self.stats(name)
            out[name] = {
                "p50": round(p50, 2),
                "p95": round(p95, 2),
                "runs": [round(v, 2) for v in getattr(self, name)],
            }
        return out

    @property
    def url(self) -> str:
        return "/search/?" + urlencode(self.params)


def _engine_parts(params: dict):
    fs = SearchFilterSet(QueryDict(urlencode(params)))
    if not fs.is_valid():
        raise ValueError(f"invalid bench query {params}: {fs.errors_text()}")
    args = fs.search_args()
    query = service.parse_query(args["text"])
    sort = service.normal_sort(query, args["sort"])
    return query, args["filters"], sort, int(params.get("page", 1))


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def run_queries(
    repeat: int = 5, page_size: int = 20, budget_s: float = 0.0, progress=None
) -> list[QueryTiming]:
    """`budget_s` > 0: stop repeating a query once its runs (warm-up included) have taken
    that long, after at least one timed run, so a very slow query cannot stall the bench;
    the runs actually made are reported."""
    client = Client()
    engine = get_engine()
    out = []
    for label, cls, params in QUERIES:
        query, filters, sort, page = _engine_parts(params)
        if page > 1:  # a deep page, clamped to the last page on a small corpus
            last = max(1, -(-service.count(engine, query, filters) // page_size))
            if page > last:
                page, params = last, {**params, "page": str(last)}
        qt = QueryTiming(label, cls, params)
        started = time.perf_counter()
        for run in range(repeat + 1):  # run 0 warms up caches and is not counted
            if run > 1 and budget_s and time.perf_counter() - started > budget_s:
                qt.budget_cut = True
                break
            # The page as a new search renders it, never a kept rendered answer (a cache
            # read, which the load test measures).
            forget_rendered()
            t = time.perf_counter()
            response = client.get(qt.url)
            page_ms = _ms(t)
            qt.status = response.status_code
            if response.status_code != 200:
                raise RuntimeError(f"{qt.url} answered {response.status_code}")
            qt.suggested = b"Did you mean" in response.content

            # The engine's steps of search(), the same functions it runs: count, the newest
            # window, older title matches, the page of ids; then facets, highlights, spelling.
            with engine.session():
                t = time.perf_counter()
                results = Results(
                    query,
                    total=service.count(engine, query, filters),
                    page=page,
                    page_size=page_size,
                    sort=sort,
                    window=settings.SEARCH_WINDOW,
                )
                window_ids = service.newest_window(engine, results, filters, needed=True)
                results.title_ids = service.title_matches(engine, results, filters, window_ids)
                ids = service.page_ids(engine, results, filters, window_ids)
                engine_ms = _ms(t)
                total = results.total

                t = time.perf_counter()
                service.facets(engine, query, filters, window_ids, total)
                facets_ms = _ms(t)
                t = time.perf_counter()
                if ids and not query.is_empty:
                    engine.highlights(query, ids)
                highlight_ms = _ms(t)
            t = time.perf_counter()
            if not total and not query.is_empty:
                engine.suggest(query)
            spelling_ms = _ms(t)
            qt.matches = total
            if not run:
                qt.cold_page_ms = page_ms
            if run:
                qt.page_ms.append(page_ms)
                qt.engine_ms.append(engine_ms)
                qt.facets_ms.append(facets_ms)
                qt.highlight_ms.append(highlight_ms)
                qt.spelling_ms.append(spelling_ms)
        out.append(qt)
        if progress:
            progress(qt)
    return out


def planted_ranks(articles: int, page_size: int = 20) -> dict:
    """Where the planted best answers (corpus.plant, in the oldest tenth) rank for
    PLANTED_QUERY by relevance: their positions on the first page (None: not on it)."""
    from ..search import search

    r = search(PLANTED_QUERY, page_size=page_size, with_facets=False)
    page = [h.article.slug for h in r.hits]
    ranks = {s: (page.index(s) + 1 if s in page else None) for s in planted_slugs(articles)}
    return {
        "query": PLANTED_QUERY,
        "matches": r.total,
        "windowed": r.windowed,
        "ranked": r.rankable,
        "ranks": ranks,
        "all_on_page_one": all(v is not None for v in ranks.values()),
    }
