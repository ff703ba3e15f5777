from django.core.management.base import BaseCommand, CommandError

from archive import search, state
from archive.ingest import IngestError, importer


class Command(BaseCommand):
    help = (
        "Import seed articles (plain text with the fixtures/articles.json manifest, or Markdown "
        "with front matter), sync the entity catalogue and link every entity each article names. "
        "Idempotent and atomic: a second run changes nothing; an error changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", help="Seed files or folders (default: everything in seeds/)."
        )
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, paths, json, dry_run, **options):
        try:
            summary = importer.run(paths or None, dry_run=dry_run)
        except IngestError as exc:
            raise CommandError(str(exc)) from None
        if summary.changed and not dry_run:
            # The search side's derived data (spelling vocabulary, statistics): ingest never
            # calls into search, so whoever runs an import refreshes it.
            search.after_import()
        if not dry_run and (summary.changed or state.last_change() is None):
            # The archive's last change, which the pages' ETag and Last-Modified follow:
            # bulk writes (update, bulk_create) send no signals. Recorded after a first import
            # that changed nothing too, so a database older than the record gets one.
            state.touch()
        if json:
            self.stdout.write(importer.to_json(summary))
        else:
            for line in summary.lines():
                self.stdout.write(line)
