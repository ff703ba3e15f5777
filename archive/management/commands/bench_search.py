"""Benchmark the search on a large synthetic corpus, in a throwaway database.

    python manage.py bench_search [--articles 100000] [--words 600] [--seed 42]
        [--database-url URL] [--keep] [--repeat 5] [--batch 2000] [--json]

Never touches the development database: the command creates the bench database (a temp
SQLite file, or `archive_bench` on the PostgreSQL server of --database-url / DATABASE_URL),
then re-runs itself in a child process whose DATABASE_URL names it. The child migrates,
imports the seeds (for the catalogue), generates and bulk-loads N articles, then times a
fixed set of queries through the search page and through the engine alone.
"""

import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import django
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

TARGET_PAGE_P50_MS = 50.0
TARGET_PAGE_P95_MS = 200.0
TARGET_LOAD_RATE = 1000.0


class Command(BaseCommand):
    help = "Benchmark search and bulk loading on a synthetic corpus in a throwaway database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles", type=int, default=100_000, help="Articles to generate (default 100000)."
        )
        parser.add_argument(
            "--words", type=int, default=600, help="Words per article (default 600)."
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--database-url",
            default=None,
            help="postgres://... to benchmark PostgreSQL (the bench uses database archive_bench on "
            "that server); default: DATABASE_URL if it is PostgreSQL, else a temp SQLite file.",
        )
        parser.add_argument(
            "--keep", action="store_true", help="Keep the bench database afterwards."
        )
        parser.add_argument(
            "--repeat",
            type=int,
            default=5,
            help="Timed runs per query, after one warm-up (default 5).",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=2000,
            help="Articles per bulk insert transaction (default 2000).",
        )
        parser.add_argument(
            "--budget",
            type=float,
            default=60.0,
            help="Seconds per query after which it is not repeated further "
            "(at least one timed run; 0 = always --repeat runs). Default 60.",
        )
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
        parser.add_argument(
            "--child", action="store_true", help="(internal) run inside the bench database"
        )

    # -- parent: create the bench database, run the child in it, clean up ----------------
    def handle(self, *args, **opts):
        if (
            opts["articles"] < 1
            or opts["repeat"] < 1
            or opts["batch"] < 1
            or opts["words"] < 10
            or opts["budget"] < 0
        ):
            raise CommandError(
                "--articles, --repeat and --batch must be positive; --words at least 10"
            )
        if opts["child"]:
            return self.child(**opts)
        from archive.bench.db import bench_database

        try:
            bench = bench_database(opts["database_url"], opts["articles"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Bench database: {bench.describe()}")
        bench.create()
        cmd = [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "bench_search",
            "--child",
            "--articles",
            str(opts["articles"]),
            "--words",
            str(opts["words"]),
            "--seed",
            str(opts["seed"]),
            "--repeat",
            str(opts["repeat"]),
            "--batch",
            str(opts["batch"]),
            "--budget",
            str(opts["budget"]),
        ]
        if opts["json"]:
            cmd.append("--json")
        env = {**os.environ, "DATABASE_URL": bench.url}
        try:
            self.stdout.flush()
            rc = subprocess.call(cmd, env=env, cwd=settings.BASE_DIR)
        finally:
            if opts["keep"]:
                self.stderr.write(f"Kept: {bench.describe()} (DATABASE_URL={bench.url})")
            else:
                bench.drop()
        if rc:
            raise CommandError(f"The benchmark failed (exit status {rc}).")

    # -- child: everything happens in the bench database ---------------------------------
    def child(self, *, articles, words, seed, repeat, batch, budget, json: bool, **_):
        from archive.bench.corpus import Corpus
        from archive.bench.db import is_bench_database
        from archive.bench.load import after_load, database_size_mb, load, peak_rss_mb
        from archive.bench.queries import run_queries
        from archive.models import Article, Mention

        if not is_bench_database(settings.DATABASES["default"]):
            raise CommandError(
                f"Refusing to run: {settings.DATABASES['default'].get('NAME')} is not a bench "
                f"database."
            )
        # Production-like request handling: no query log (DEBUG would keep every bulk INSERT's
        # SQL), and the test client's host allowed.
        settings.DEBUG = False
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        say = (lambda msg: self.stderr.write(msg)) if json else (lambda msg: self.stdout.write(msg))

        setup = {}
        t = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False, stdout=io.StringIO())
        setup["migrate_s"] = time.perf_counter() - t
        t = time.perf_counter()
        call_command("import_seeds", stdout=io.StringIO())
        setup["import_seeds_s"] = time.perf_counter() - t
        seed_articles = Article.objects.count()

        t = time.perf_counter()
        corpus = Corpus(seed=seed, words=words)
        setup["corpus_setup_s"] = time.perf_counter() - t
        say(
            f"Loading {articles:,} articles (~{words} words, seed {seed}) into {connection.vendor} "
            f"in batches of {batch:,} ({len(corpus.filler)} filler sentences, "
            f"{sum(map(len, corpus.single.values()))} single-entity seed sentences)…"
        )

        def on_checkpoint(cp):
            say(
                f"  {cp.fraction:>4.0%} {cp.articles:>8,} articles  {cp.seconds:7.1f} s  "
                f"{cp.rate:7.0f}/s overall  {cp.interval_rate:7.0f}/s since last  "
                f"peak RSS {cp.peak_rss_mb:6.1f} MB  RSS {cp.rss_mb:6.1f} MB"
            )

        result = load(corpus, articles, batch=batch, progress=on_checkpoint)
        after_load(result)
        for name, secs in result.post_steps.items():
            say(f"  after load: {name} {secs:.1f} s")
        size_mb = database_size_mb()
        say(f"Running {repeat}+1 rounds of each query…")

        def on_query(qt):
            p50, p95 = qt.stats("page_ms")
            say(f"  {qt.label:<28} {qt.matches:>8,}  page p50 {p50:8.1f} ms  p95 {p95:8.1f} ms")

        timings = run_queries(
            repeat=repeat, page_size=settings.SEARCH_PAGE_SIZE, budget_s=budget, progress=on_query
        )
        report = self.report(
            articles=articles,
            words=words,
            seed=seed,
            repeat=repeat,
            batch=batch,
            budget=budget,
            seed_articles=seed_articles,
            total_articles=Article.objects.count(),
            total_mentions=Mention.objects.count(),
            size_mb=size_mb,
            setup=setup,
            result=result,
            timings=timings,
            peak_rss=peak_rss_mb(),
        )
        if json:
            self.stdout.write(_json(report))
        else:
            self.stdout.write(self.render(report))

    def report(
        self,
        *,
        articles,
        words,
        seed,
        repeat,
        batch,
        budget,
        seed_articles,
        total_articles,
        total_mentions,
        size_mb,
        setup,
        result,
        timings,
        peak_rss,
    ) -> dict:
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SHOW server_version")
            else:
                cur.execute("SELECT sqlite_version()")
            db_version = cur.fetchone()[0]
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
        from archive.bench.queries import percentile

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
                "database_version": db_version,
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
        }

    def render(self, r: dict) -> str:
        c, d, ld, s = r["config"], r["database"], r["load"], r["summary"]
        out = [
            "",
            f"== bench_search: {c['vendor']} {c['database_version']}, Django {c['django']}, "
            f"Python {c['python']}",
            f"Corpus: {c['articles']:,} generated articles (~{c['words']} words, seed {c['seed']}) "
            f"+ {d['seed_articles']} seed articles = {d['articles']:,}; {d['mentions']:,} "
            f"mentions; "
            f"database {d['size_mb']:,.0f} MB",
            f"Setup: migrate {r['setup']['migrate_s']} s, import_seeds "
            f"{r['setup']['import_seeds_s']} s, "
            f"corpus model {r['setup']['corpus_setup_s']} s",
            "",
            f"Load: {ld['articles']:,} articles + {ld['mentions']:,} mentions in "
            f"{ld['seconds']:.1f} s "
            f"= {ld['rate']:,.0f} articles/s end to end "
            f"(generate {ld['generate_seconds']:.1f} s; insert+index+commit "
            f"{ld['insert_seconds']:.1f} s "
            f"= {ld['insert_rate']:,.0f} articles/s), batches of {c['batch']:,}"
            + (f"; {', '.join(ld['pragmas'])}" if ld["pragmas"] else ""),
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
            f"(with 5 runs: the slowest). ! = misses page p50 < {TARGET_PAGE_P50_MS:.0f} ms or "
            f"p95 < "
            f"{TARGET_PAGE_P95_MS:.0f} ms. engine = count + page of ids; facets/hl/spell = "
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
            f"— {'meets' if s['load_meets_target'] else 'MISSES'} the {TARGET_LOAD_RATE:,.0f}/s "
            f"target",
            f"  page over all queries: p50 {s['page_p50_ms']:.1f} ms, p95 {s['page_p95_ms']:.1f} "
            f"ms; "
            f"engine: p50 {s['engine_p50_ms']:.1f} ms, p95 {s['engine_p95_ms']:.1f} ms",
            f"  peak RSS {s['peak_rss_mb']:.1f} MB (load checkpoints: "
            + ", ".join(
                f"{cp['fraction']:.0%} {cp['peak_rss_mb']:.0f} MB" for cp in ld["checkpoints"]
            )
            + ")",
            f"  queries missing a target ({len(s['queries_missing_target'])} of "
            f"{len(r['queries'])}): " + (", ".join(s["queries_missing_target"]) or "none"),
            "",
        ]
        return "\n".join(out)


def _json(report: dict) -> str:
    return json.dumps(report, indent=2, default=str)
