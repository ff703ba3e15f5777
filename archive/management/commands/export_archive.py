import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.ingest import dataset


class Command(BaseCommand):
    help = (
        'Write the whole archive as JSON Lines, one record a line with a "type": a header '
        "(format and version), entities of every kind, aliases, articles with their mentions "
        "(editors' added, confirmed and rejected ones included), program statuses, "
        "relationships, candidate entities and their decisions, suppressions, redirects, and an "
        "end record with the counts. Editors' work is kept (edited_fields, states, origins). "
        "Left out because an import rebuilds them: the search index and spelling vocabulary, "
        "articles' entity_text and linked_with, the import's file records (ImportedFile, "
        "ImportRun), relink jobs and the last-change time; user accounts and the admin history "
        "are not archive content. Read at one moment (a read transaction); writers carry on. "
        "Load it with import_archive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", default="-", help="Where to write; - (default) is stdout."
        )

    def handle(self, *args, path, **options):
        if path == "-":
            counts = dataset.write(sys.stdout)
            sys.stdout.flush()
            return
        target = Path(path)
        if target.is_dir():
            raise CommandError(f"{target}: is a folder; name a file")
        partial = target.with_name(target.name + ".partial")
        try:
            # Written aside, then renamed: a file at `path` is always a whole copy.
            with partial.open("w", encoding="utf-8", newline="\n") as out:
                counts = dataset.write(out)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"{target}: {exc.strerror or exc}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        described = ", ".join(
            f"{n} {kind}" for kind, n in counts.items() if kind not in ("header", "end")
        )
        self.stdout.write(f"Wrote {target}: {described}.")
