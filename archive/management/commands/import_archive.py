from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive import search, state
from archive.ingest import dataset


class Command(BaseCommand):
    help = (
        "Load a copy written by export_archive into an EMPTY database (a non-empty one is "
        "refused), in one transaction: a line that is not a valid record is refused with the "
        "file and line, and nothing is written. Then rebuilds what the copy leaves out, as "
        "import_seeds does: each article's linking (editors' mentions kept) and search index, "
        "the spelling vocabulary and statistics, and the archive's last-change time."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file written by export_archive.")

    def handle(self, *args, path, **options):
        source = Path(path)
        try:
            with source.open(encoding="utf-8", newline="\n") as lines:
                counts, relinked = dataset.load(str(source), lines)
        except dataset.DatasetError as exc:
            raise CommandError(str(exc)) from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{source}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise CommandError(f"{source}: {exc.strerror or exc}") from None
        # The search side's derived data, and the pages' validators (bulk writes send no
        # signals): as import_seeds does after an import.
        search.after_import()
        state.touch()
        described = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        self.stdout.write(f"Loaded {source}: {described or 'nothing'}.")
        changed = {k: n for k, n in relinked.items() if n and k != "mentions_left_alone"}
        if changed:
            self.stdout.write(
                "Relinking brought mentions in step with the catalogue: "
                + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(changed.items()))
            )
