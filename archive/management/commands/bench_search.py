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
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


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
        self.stdout.flush()
        rc = bench.run_child(
            "bench_search",
            opts,
            ("articles", "words", "seed", "repeat", "batch", "budget"),
            self.stderr,
        )
        if rc:
            raise CommandError(f"The benchmark failed (exit status {rc}).")

    # -- child: everything happens in the bench database ---------------------------------
    def child(self, *, articles, words, seed, repeat, batch, budget, json: bool, **_):
        from archive.bench.corpus import Corpus
        from archive.bench.db import is_bench_database
        from archive.bench.load import after_load, database_size_mb, load, peak_rss_mb
        from archive.bench.queries import run_queries
        from archive.bench.report import (
            build_report,
            checkpoint_line,
            query_line,
            render_text,
            to_json,
        )
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

        result = load(corpus, articles, batch=batch, progress=lambda cp: say(checkpoint_line(cp)))
        after_load(result)
        for name, secs in result.post_steps.items():
            say(f"  after load: {name} {secs:.1f} s")
        size_mb = database_size_mb()
        say(f"Running {repeat}+1 rounds of each query…")

        timings = run_queries(
            repeat=repeat,
            page_size=settings.SEARCH_PAGE_SIZE,
            budget_s=budget,
            progress=lambda qt: say(query_line(qt)),
        )
        report = build_report(
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
        self.stdout.write(to_json(report) if json else render_text(report))
