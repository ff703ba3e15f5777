"""Benchmark import_seeds on generated Markdown, in a throwaway database.

    python manage.py bench_import [--articles 3000] [--words 600] [--seed 7]
        [--database-url URL] [--keep] [--json]

Never touches the development database: like bench_search, the command creates the bench
database (a temp SQLite file, or `archive_bench_import` on the PostgreSQL server of
--database-url / DATABASE_URL), then re-runs itself in a child process whose DATABASE_URL
names it. The child migrates, imports the seeds (for the catalogue), writes N articles as
Markdown into a temp folder (sentences of the seeds and the catalogue's names, so linking
and candidate discovery do real work), and times import_seeds's work three times: the new
material, the same material again (unchanged), and again with every tenth article changed.
On SQLite a second connection meanwhile saves every 20 ms as an editor would, and the
longest it waited for the write lock is reported with the import's own transaction time.
"""

import json as jsonlib
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "Benchmark import_seeds (new, unchanged and 10%-changed material) in a throwaway DB."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=3000, help="Articles (default 3000).")
        parser.add_argument("--words", type=int, default=600, help="Words per article (600).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed (default 7).")
        parser.add_argument(
            "--database-url",
            default=None,
            help="postgres://... to benchmark PostgreSQL (database archive_bench_import on that "
            "server); default: DATABASE_URL if it is PostgreSQL, else a temp SQLite file.",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
        parser.add_argument("--child", action="store_true", help="(internal)")

    def handle(self, *args, **opts):
        if opts["articles"] < 1 or opts["words"] < 10:
            raise CommandError("--articles must be positive and --words at least 10")
        if opts["child"]:
            return self.child(**opts)
        from archive.bench.imports import import_bench_database

        try:
            bench = import_bench_database(opts["database_url"], opts["articles"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.flush()
        rc = bench.run_child("bench_import", opts, ("articles", "words", "seed"), self.stderr)
        if rc:
            raise CommandError(f"The benchmark failed (exit status {rc}).")

    def child(self, *, articles, words, seed, json: bool, **_):
        from archive import search, state
        from archive.bench.corpus import Corpus
        from archive.bench.imports import (
            Run,
            WriterProbe,
            is_import_bench_database,
            write_markdown,
        )
        from archive.bench.load import peak_rss_mb
        from archive.ingest import importer
        from archive.models import Article

        if not is_import_bench_database(settings.DATABASES["default"]):
            raise CommandError(
                f"Refusing to run: {settings.DATABASES['default'].get('NAME')} is not the "
                "import bench database."
            )
        settings.DEBUG = False  # no query log
        say = (lambda m: self.stderr.write(m)) if json else (lambda m: self.stdout.write(m))
        call_command("migrate", verbosity=0, interactive=False, stdout=open(os.devnull, "w"))
        call_command("import_seeds", stdout=open(os.devnull, "w"))
        sqlite = connection.vendor == "sqlite"

        def timed(name: str, folder: Path) -> Run:
            probe = None
            if sqlite:
                probe = WriterProbe(str(settings.DATABASES["default"]["NAME"]))
                probe.start()
            t = time.perf_counter()
            summary = importer.run([str(folder)])
            importer_seconds = time.perf_counter() - t
            # What import_seeds does after the importer.
            if summary.changed:
                search.after_import()
                state.touch()
            seconds = time.perf_counter() - t
            if probe is not None:
                probe.stop.set()
                probe.join()
            run = Run(
                name,
                articles,
                seconds,
                importer_seconds,
                summary.transaction_seconds,
                summary.longest_transaction,
                probe.longest_wait if probe else None,
                {
                    k: summary.stats[k]
                    for k in (
                        "articles_created",
                        "articles_updated",
                        "articles_unchanged",
                        "mentions_created",
                        "mentions_updated",
                        "mentions_removed",
                        "candidates_created",
                    )
                },
            )
            say(
                f"{name:>10}: {run.rate:8,.0f} articles/s ({seconds:.2f} s; importer "
                f"{importer_seconds:.2f} s, writes {run.transaction_seconds:.2f} s, longest "
                f"write transaction {run.longest_transaction:.2f} s"
                + (
                    f", an editor's save waited at most {run.probe_longest_wait:.2f} s"
                    if run.probe_longest_wait is not None
                    else ""
                )
                + f") {run.stats}"
            )
            return run

        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            folder = Path(tmp) / "seeds"
            t = time.perf_counter()
            write_markdown(folder, Corpus(seed=seed, words=words), articles)
            say(
                f"Generated {articles:,} articles (~{words} words) in "
                f"{time.perf_counter() - t:.1f} s; importing into {connection.vendor}…"
            )
            runs = [timed("new", folder), timed("unchanged", folder)]
            write_markdown(folder, Corpus(seed=seed, words=words), articles, changed_every=10)
            runs.append(timed("changed10%", folder))
        report = {
            "vendor": connection.vendor,
            "articles": articles,
            "words": words,
            "seed": seed,
            "stored_articles": Article.objects.count(),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "runs": [
                {
                    "name": r.name,
                    "articles_per_s": round(r.rate, 1),
                    "seconds": round(r.seconds, 3),
                    "importer_seconds": round(r.importer_seconds, 3),
                    "write_seconds": round(r.transaction_seconds, 3),
                    "longest_write_transaction_seconds": round(r.longest_transaction, 3),
                    "editor_longest_wait_seconds": None
                    if r.probe_longest_wait is None
                    else round(r.probe_longest_wait, 3),
                    **r.stats,
                }
                for r in runs
            ],
        }
        if sqlite:
            report["longest_write_lock_seconds"] = round(
                max(r.longest_transaction for r in runs), 3
            )
        if json:
            self.stdout.write(jsonlib.dumps(report, indent=2))
        else:
            self.stdout.write(f"Peak RSS: {report['peak_rss_mb']} MB")
            if sqlite:
                held = report["longest_write_lock_seconds"]
                self.stdout.write(f"Longest write lock held by an import: {held} s")
