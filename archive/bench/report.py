"""The benchmark's report: one dict (printed as JSON by --json) and its text rendering.

build_report() gathers what the child measured into a plain dict; render_text() and to_json()
only read that dict, so a saved JSON report renders the same as the run that produced it.
What each figure means is in docs/benchmarks.md.
"""

import json
import platform
import statistics
from typing import TYPE_CHECKING

import django
from django.conf import settings
from django.db import connection

from .queries import percentile, planted_ranks

if TYPE_CHECKING:
    from .load import LoadResult
    from .queries import QueryTiming

# The targets a query's page and the bulk load are held to; a miss is flagged, not an error.
TARGET_PAGE_P50_MS = 50.0
TARGET_PAGE_P95_MS = 200.0
TARGET_LOAD_RATE = 1000.0  # articles/s, end to end


def database_version() -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        return cur.fetchone()[0]


def build_report(
    *,
    articles: int,
    words: int,
    seed: int,
    repeat: int,
    batch: int,
    budget: float,
    seed_articles: int,
    total_articles: int,
    total_mentions: int,
    size_mb: float,
    setup: dict[str, float],
    result: "LoadResult",
    timings: "list[QueryTiming]",
    peak_rss: float,
) -> dict:
    """The whole report, for the bench database the default connection points at."""
    queries = [qt.as_dict() for qt in timings]
    for q in queries:
        q["misses_target"] = [
            name
            for name, ok in (
                ("page p50", q["page_ms"]["p50"] < TARGET_PAGE_P50_MS),
                ("page p95", q["page_ms"]["p95"] < TARGET_PAGE_P95_MS),
            )
            if not ok
        ]
    all_page = [v for qt in timings for v in qt.page_ms]
    all_engine = [v for qt in timings for v in qt.engine_ms]
    summary = {
        "load_seconds": round(result.seconds, 2),
        "load_rate": round(result.rate, 1),
        "generate_seconds": round(result.generate_seconds, 2),
        "insert_seconds": round(result.insert_seconds, 2),
        "insert_rate": round(result.insert_rate, 1),
        "page_p50_ms": round(statistics.median(all_page), 2),
        "page_p95_ms": round(percentile(all_page, 0.95), 2),
        "engine_p50_ms": round(statistics.median(all_engine), 2),
        "engine_p95_ms": round(percentile(all_engine, 0.95), 2),
        "peak_rss_mb": round(peak_rss, 1),
        "queries_missing_target": [q["label"] for q in queries if q["misses_target"]],
        "load_meets_target": result.rate >= TARGET_LOAD_RATE,
    }
    return {
        "config": {
            "vendor": connection.vendor,
            "database_version": database_version(),
            "database": str(settings.DATABASES["default"]["NAME"]),
            "articles": articles,
            "words": words,
            "seed": seed,
            "repeat": repeat,
            "batch": batch,
            "budget_s": budget,
            "python": platform.python_version(),
            "django": django.get_version(),
            "targets": {
                "page_p50_ms": TARGET_PAGE_P50_MS,
                "page_p95_ms": TARGET_PAGE_P95_MS,
                "load_rate": TARGET_LOAD_RATE,
            },
        },
        "database": {
            "seed_articles": seed_articles,
            "articles": total_articles,
            "mentions": total_mentions,
            "size_mb": round(size_mb, 1),
        },
        "setup": {k: round(v, 2) for k, v in setup.items()},
        "load": {
            "articles": result.articles,
            "mentions": result.mentions,
            "seconds": round(result.seconds, 2),
            "rate": round(result.rate, 1),
            "generate_seconds": round(result.generate_seconds, 2),
            "insert_seconds": round(result.insert_seconds, 2),
            "insert_rate": round(result.insert_rate, 1),
            "pragmas": result.pragmas,
            "after_load_seconds": {k: round(v, 2) for k, v in result.post_steps.items()},
            "checkpoints": [
                {
                    "fraction": cp.fraction,
                    "articles": cp.articles,
                    "seconds": round(cp.seconds, 2),
                    "rate": round(cp.rate, 1),
                    "interval_rate": round(cp.interval_rate, 1),
                    "peak_rss_mb": round(cp.peak_rss_mb, 1),
                    "rss_mb": round(cp.rss_mb, 1),
                }
                for cp in result.checkpoints
            ],
        },
        "queries": queries,
        "summary": summary,
        "planted": planted_ranks(articles),
    }


def checkpoint_line(cp) -> str:
    """Progress during the load: one line per checkpoint (a load.Checkpoint)."""
    return (
        f"  {cp.fraction:>4.0%} {cp.articles:>8,} articles  {cp.seconds:7.1f} s  "
        f"{cp.rate:7.0f}/s overall  {cp.interval_rate:7.0f}/s since last  "
        f"peak RSS {cp.peak_rss_mb:6.1f} MB  RSS {cp.rss_mb:6.1f} MB"
    )


def query_line(qt) -> str:
    """Progress during the queries: one line per query (a queries.QueryTiming)."""
    p50, p95 = qt.stats("page_ms")
    return f"  {qt.label:<28} {qt.matches:>8,}  page p50 {p50:8.1f} ms  p95 {p95:8.1f} ms"


def render_text(r: dict) -> str:
    """The report as the command prints it without --json."""
    c, d, ld, s = r["config"], r["database"], r["load"], r["summary"]
    p50_target = c["targets"]["page_p50_ms"]
    p95_target = c["targets"]["page_p95_ms"]
    load_target = c["targets"]["load_rate"]
    out = [
        "",
        f"== bench_search: {c['vendor']} {c['database_version']}, Django {c['django']}, "
        f"Python {c['python']}",
        f"Corpus: {c['articles']:,} generated articles (~{c['words']} words, seed {c['seed']}) "
        f"+ {d['seed_articles']} seed articles = {d['articles']:,}; {d['mentions']:,} mentions; "
        f"database {d['size_mb']:,.0f} MB",
        f"Setup: migrate {r['setup']['migrate_s']} s, import_seeds "
        f"{r['setup']['import_seeds_s']} s, corpus model {r['setup']['corpus_setup_s']} s",
        "",
        f"Load: {ld['articles']:,} articles + {ld['mentions']:,} mentions in "
        f"{ld['seconds']:.1f} s = {ld['rate']:,.0f} articles/s end to end "
        f"(generate {ld['generate_seconds']:.1f} s; insert+index+commit "
        f"{ld['insert_seconds']:.1f} s = {ld['insert_rate']:,.0f} articles/s), "
        f"batches of {c['batch']:,}" + (f"; {', '.join(ld['pragmas'])}" if ld["pragmas"] else ""),
    ]
    for name, secs in ld["after_load_seconds"].items():
        out.append(f"  after load: {name}: {secs:.1f} s")
    out.append("  progress   articles  seconds   rate/s  interval/s  peak RSS MB  RSS MB")
    for cp in ld["checkpoints"]:
        out.append(
            f"  {cp['fraction']:>7.0%} {cp['articles']:>10,} {cp['seconds']:>8.1f} "
            f"{cp['rate']:>8.0f} "
            f"{cp['interval_rate']:>11.0f} {cp['peak_rss_mb']:>12.1f} {cp['rss_mb']:>7.1f}"
        )
    out += [
        "",
        f"Queries: {c['repeat']} timed runs each after 1 warm-up; p95 = nearest rank "
        f"(with 5 runs: the slowest). ! = misses page p50 < {p50_target:.0f} ms or "
        f"p95 < {p95_target:.0f} ms. engine = count + page of ids; facets/hl/spell = "
        "the other engine calls search() makes (p50); cold = the warm-up page (first use of "
        "caches).",
    ]
    head = (
        f"  {'query':<28} {'class':<9} {'matches':>8} {'page p50':>9} {'p95':>8} "
        f"{'engine p50':>10} {'p95':>8} {'facets':>8} {'hl':>7} {'spell':>7} {'cold':>8}"
    )
    out += [head, "  " + "-" * (len(head) - 2)]
    for q in r["queries"]:
        flag = "!" if q["misses_target"] else " "
        out.append(
            f"{flag} {q['label']:<28} {q['class']:<9} {q['matches']:>8,} "
            f"{q['page_ms']['p50']:>9.1f} {q['page_ms']['p95']:>8.1f} "
            f"{q['engine_ms']['p50']:>10.1f} {q['engine_ms']['p95']:>8.1f} "
            f"{q['facets_ms']['p50']:>8.1f} {q['highlight_ms']['p50']:>7.1f} "
            f"{q['spelling_ms']['p50']:>7.1f} {q['cold_page_ms']:>8.1f}"
            + ("  (did you mean shown)" if q["suggestion_shown"] else "")
            + (
                f"  (only {q['runs']} timed runs: over the {c['budget_s']:.0f} s budget)"
                if q["budget_cut"]
                else ""
            )
        )
    out += [
        "",
        f"Summary: load {s['load_rate']:,.0f} articles/s end to end "
        f"({s['insert_rate']:,.0f}/s insert) "
        f"— {'meets' if s['load_meets_target'] else 'MISSES'} the {load_target:,.0f}/s target",
        f"  page over all queries: p50 {s['page_p50_ms']:.1f} ms, p95 {s['page_p95_ms']:.1f} ms; "
        f"engine: p50 {s['engine_p50_ms']:.1f} ms, p95 {s['engine_p95_ms']:.1f} ms",
        f"  peak RSS {s['peak_rss_mb']:.1f} MB (load checkpoints: "
        + ", ".join(f"{cp['fraction']:.0%} {cp['peak_rss_mb']:.0f} MB" for cp in ld["checkpoints"])
        + ")",
        f"  queries missing a target ({len(s['queries_missing_target'])} of "
        f"{len(r['queries'])}): " + (", ".join(s["queries_missing_target"]) or "none"),
    ]
    p = r.get("planted")
    if p:
        ranks = ", ".join(
            f"{slug} {'#' + str(n) if n else 'not on page 1'}" for slug, n in p["ranks"].items()
        )
        out.append(
            f"  planted best answers for {p['query']!r} (oldest tenth; {p['matches']:,} matches, "
            f"{p['ranked']:,} ranked): {ranks}"
        )
    out.append("")
    return "\n".join(out)


def to_json(r: dict) -> str:
    """The report as the command prints it with --json."""
    return json.dumps(r, indent=2, default=str)
