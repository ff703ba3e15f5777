from django.core.management.base import BaseCommand, CommandError

from archive import curation, state
from archive.curation.relink import describe
from archive.models import RelinkJob


class Command(BaseCommand):
    help = (
        "Run the linker again over every article, keeping every mention an editor set. "
        "--job N runs a relink an editor's change queued (the admin starts it); --pending "
        "runs every queued one; with neither, every article is relinked now."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--job", type=int, help="Run this queued relink job.")
        which.add_argument("--pending", action="store_true", help="Run every queued job.")

    def handle(self, *args, job, pending, **options):
        if job is not None:
            if not RelinkJob.objects.filter(pk=job).exists():
                raise CommandError(f"No relink job #{job}.")
            jobs = [j for j in [curation.run_job(job)] if j is not None]
            if not jobs:
                self.stdout.write(f"{RelinkJob.objects.get(pk=job)}: not queued, left alone.")
        elif pending:
            jobs = curation.run_pending()
        else:
            stats = curation.relink_everything()
            state.touch()  # the pages' ETag and Last-Modified follow the archive's last change
            self.stdout.write(describe(stats))
            return
        if jobs:
            # Even a failed job committed the batches it finished.
            state.touch()
        for j in jobs:
            self.stdout.write(f"{j}: {j.result}")
        if any(j.status == RelinkJob.Status.FAILED for j in jobs):
            raise CommandError("A relink failed; its job records why.")
