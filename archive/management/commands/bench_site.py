"""Time every page type of the site on the database at hand (read-only: GET requests).

    DEBUG=1 python manage.py bench_site [--repeat 20] [--json]

Point DATABASE_URL at a large database first, for example the one `bench_search --keep`
leaves (it prints its DATABASE_URL). Each page is asked once with the cache cleared, then
--repeat times; the report gives size, queries, cold time and warm p50/p95 against the
targets (p50 < 50 ms, p95 < 200 ms). docs/benchmarks.md keeps the results.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from archive.bench import site


class Command(BaseCommand):
    help = "Time every page type (home, indexes, entity, article, search, API, feeds, CSV)."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="Warm runs per page (20).")
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args, repeat, json: bool, **options):
        if repeat < 1:
            raise CommandError("--repeat must be at least 1")
        from archive.models import Article

        if not Article.objects.exists():
            raise CommandError("The database has no articles: run bench_search --keep first.")
        timings = site.time_pages(site.one_of_each(), repeat)
        if json:
            self.stdout.write(_json(timings))
            return
        self.stdout.write(
            f"{connection.vendor} {connection.settings_dict['NAME']}: "
            f"{Article.objects.count():,} articles"
        )
        for line in site.report(timings):
            self.stdout.write(line)


def _json(timings) -> str:
    return json.dumps(site.as_json(timings), indent=2)
