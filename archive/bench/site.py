"""The whole site, timed: every page type on the database at hand (read-only).

`pages(n)` picks real addresses from the database (the most and the least named entity of
each kind, seed and generated articles, indexes, feeds, API, CSV export, searches), and
`time_pages` asks each through Django's test client: once with the cache cleared (what
the first reader after a change pays) and `repeat` times warm. The load test
(bench_load) draws its addresses from the same pools.
"""

import statistics
import time
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection, reset_queries
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ..models import Article, Entity, EntityKind

TARGET_P50_MS = 50.0
TARGET_P95_MS = 200.0

SEARCHES = [
    "/search/?q=surveillance",
    "/search/?q=ICE",
    "/search/?q=%22facial+recognition%22",
    "/search/?q=Thomson+Reuters&sort=newest",
    "/search/?q=zorbulax",
    "/search/?agency=ice",
    "/search/?q=data&agency=ice&contractor=thomson-reuters",
    "/search/?q=surveil*",
]


@dataclass
class PageTiming:
    kind: str
    url: str
    status: int
    kb: float
    queries: int
    cold_ms: float
    p50_ms: float
    p95_ms: float
    runs: list[float] = field(default_factory=list, repr=False)

    @property
    def meets_targets(self) -> bool:
        return self.p50_ms < TARGET_P50_MS and self.p95_ms < TARGET_P95_MS


def _entities_by_count(kind: EntityKind) -> list[Entity]:
    return list(
        Entity.objects.filter(kind=kind)
        .annotate(n=Count("mentions"))
        .filter(n__gt=0)
        .order_by("-n", "slug")
    )


def pools() -> dict[str, list[str]]:
    """Addresses by page type, from the database: what bench_site times one by one and
    what the load test draws from, weighted like real use."""
    entity_pages, api = [], ["/api/articles/", "/api/entities/", "/api/search/?q=ICE"]
    for kind in EntityKind:
        ranked = _entities_by_count(kind)
        for e in {ranked[0].pk: ranked[0], ranked[-1].pk: ranked[-1]}.values() if ranked else []:
            entity_pages.append(e.get_absolute_url())
            api.append(f"/api/entities/{e.kind}/{e.slug}/")
    biggest = entity_pages[0] if entity_pages else "/agencies/ice/"
    entity_pages += [f"{biggest}?page=2", f"{biggest}?page=50"]
    newest = Article.objects.order_by("-id").values_list("slug", flat=True)[:20]
    oldest = Article.objects.order_by("id").values_list("slug", flat=True)[:10]
    middle = Article.objects.order_by("id").values_list("slug", flat=True)[
        Article.objects.count() // 2 :
    ][:10]
    articles = [f"/articles/{s}/" for s in [*oldest, *middle, *newest]]
    api += [f"/api/articles/{s}/" for s in newest[:3]]
    feeds = ["/feed/"] + [f"{url}feed/" for url in entity_pages[:2]]
    return {
        "home": ["/"],
        "index": [f"/{k.plural}/" for k in EntityKind],
        "search": SEARCHES,
        "article": articles,
        "entity": entity_pages,
        "api": api,
        "feed": feeds,
        "export": ["/search/export.csv?q=zorbulax", "/search/export.csv?q=ICE&sort=newest"],
    }


def one_of_each() -> list[tuple[str, str]]:
    """(kind, url): every address of every pool except most articles (three stand in)."""
    out = []
    for kind, urls in pools().items():
        chosen = urls[:1] + urls[10:11] + urls[-1:] if kind == "article" else urls
        out += [(kind, u) for u in dict.fromkeys(chosen)]
    return out


def _body(response) -> bytes:
    """The whole answer: a streamed one (the exports) is read to its end, which is what a
    reader waits for."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def forget_rendered() -> None:
    if "pages" in settings.CACHES:
        caches["pages"].clear()


def time_pages(urls: list[tuple[str, str]], repeat: int) -> list[PageTiming]:
    client = Client(HTTP_HOST="127.0.0.1")
    out = []
    for kind, url in urls:
        cache.clear()
        # DEBUG's query log is a deque of 9,000: once full, a capture would count nothing.
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            size = len(_body(response))
            cold = (time.perf_counter() - started) * 1000
        runs = []
        for _ in range(repeat):
            # Warm = the aggregates kept, the page rendered: a kept rendered answer
            # (CACHES["pages"]) would time a cache read, which the load test measures.
            forget_rendered()
            started = time.perf_counter()
            _body(client.get(url))
            runs.append((time.perf_counter() - started) * 1000)
        ordered = sorted(runs)
        out.append(
            PageTiming(
                kind,
                url,
                response.status_code,
                size / 1024,
                len(ctx.captured_queries),
                cold,
                statistics.median(runs),
                ordered[max(0, -(-95 * len(ordered) // 100) - 1)],
                runs,
            )
        )
    return out


def report(timings: list[PageTiming]) -> list[str]:
    lines = [
        f"Pages: warm p50/p95 over the timed runs, cold = first request with the cache cleared."
        f" ! = misses p50 < {TARGET_P50_MS:.0f} ms or p95 < {TARGET_P95_MS:.0f} ms.",
        f"  {'type':8} {'url':52} {'status':>6} {'KB':>7} {'queries':>7} {'cold':>8} "
        f"{'p50':>7} {'p95':>7}",
    ]
    for t in timings:
        mark = " " if t.meets_targets else "!"
        lines.append(
            f"{mark} {t.kind:8} {t.url[:52]:52} {t.status:>6} {t.kb:7.1f} {t.queries:>7} "
            f"{t.cold_ms:8.1f} {t.p50_ms:7.1f} {t.p95_ms:7.1f}"
        )
    missing = [t for t in timings if not t.meets_targets]
    all_runs = sorted(r for t in timings for r in t.runs)
    lines.append(
        f"Summary: {len(timings)} pages, {len(timings) - len(missing)} meet both targets; "
        f"all warm runs p50 {statistics.median(all_runs):.1f} ms, "
        f"p95 {all_runs[max(0, -(-95 * len(all_runs) // 100) - 1)]:.1f} ms; "
        f"largest answer {max(t.kb for t in timings):.1f} KB; "
        f"most queries {max(t.queries for t in timings)}"
    )
    if missing:
        lines.append("  missing a target: " + ", ".join(t.url for t in missing))
    return lines


def as_json(timings: list[PageTiming]) -> list[dict]:
    return [asdict(t) | {"meets_targets": t.meets_targets} for t in timings]
