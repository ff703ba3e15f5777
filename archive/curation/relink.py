"""Relinking: running the linker again after an editor changed what it should find.

- A bounded set of articles (the one saved, the ones naming a mention's entity) is relinked
  at once, inside the editor's transaction: relink_articles.
- A change of names (an alias, an entity's name or acronym, an approved candidate entity)
  may touch any article, so every article is relinked outside the request: queue_relink
  records a RelinkJob, and `manage.py relink --job N` runs it, started detached when the
  editor's transaction commits (settings.RELINK_RUNNER "subprocess"), or at once in
  process ("inline", which the tests use). `relink --pending` runs any left queued.
"""

import subprocess
import sys
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from ..ingest import importer
from ..models import Article, RelinkJob
from ..names.linker import build_linker
from . import history
from .results import Result, counted

BATCH = 500  # articles relinked per transaction when relinking the whole archive


def relink_articles(articles) -> Counter:
    """Run the linker again over `articles`, in one transaction; editors' mentions stay."""
    articles = list(articles)
    stats: Counter = Counter()
    with transaction.atomic():
        importer.link_articles(articles, stats, build_linker())
    stats["articles"] += len(articles)
    return stats


def relink_everything() -> Counter:
    """Relink every article, a batch per transaction, so no lock is held for the whole run."""
    stats: Counter = Counter()
    linker = build_linker()
    last = 0
    while batch := list(Article.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
        with transaction.atomic():
            importer.link_articles(batch, stats, linker)
        stats["articles"] += len(batch)
        last = batch[-1].pk
    return stats


def describe(stats: Counter) -> str:
    """What a relink changed, in one line."""
    return (
        f"Relinked {counted(stats['articles'], 'article')}: "
        f"{counted(stats['mentions_created'], 'mention')} created, "
        f"{stats['mentions_updated']} updated, {stats['mentions_removed']} removed, "
        f"{stats['mentions_left_alone']} set by editors left alone."
    )


def relink_selected(articles, user) -> Result:
    """An editor asked for the linker to run again over `articles`."""
    articles = list(articles)
    stats = relink_articles(articles)
    history.log(user, articles, history.CHANGE, "Relinked entities.")
    return Result(describe(stats))


class Relinks:
    """The relinking an action's changes call for, collected and done once at its end."""

    def __init__(self):
        self._articles: list = []
        self.reasons: list[str] = []

    def articles(self, *articles) -> None:
        """Relink these (Article rows, or ids); a new row's id is read when it is run."""
        self._articles += articles

    def everything(self, reason: str) -> None:
        self.reasons.append(reason)

    def run(self, user) -> RelinkJob | None:
        """Relink the articles now; queue every article if names changed."""
        ids = {a.pk if isinstance(a, Article) else a for a in self._articles} - {None}
        if ids:
            relink_articles(Article.objects.filter(pk__in=ids))
        if self.reasons:
            return queue_relink("; ".join(dict.fromkeys(self.reasons)), user)
        return None


# --- the whole archive, outside the request ---------------------------------------------


def queue_relink(reason: str, user=None) -> RelinkJob:
    """Ask for every article to be relinked outside the request. A job still queued (not
    yet started, so it will read the names as they are now) is reused, not doubled."""
    reason = Truncator(reason).chars(300)
    job = RelinkJob.objects.filter(status=RelinkJob.Status.QUEUED).order_by("pk").first()
    if job is not None:
        if reason not in job.reason:
            job.reason = Truncator(f"{job.reason}; {reason}").chars(300)
        # Only while still queued: a runner that claimed it meanwhile read the old names.
        if not RelinkJob.objects.filter(pk=job.pk, status=job.status).update(reason=job.reason):
            job = None
    if job is None:
        job = RelinkJob.objects.create(reason=reason, requested_by=user)
    if settings.RELINK_RUNNER == "inline":
        # At once, in this transaction (tests never commit theirs); the editor is told
        # the outcome in this response, so there is nothing left to announce.
        run_job(job.pk)
        RelinkJob.objects.filter(pk=job.pk).update(announced=True)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: start_job(job.pk))
    return job


def start_job(job_id: int) -> None:
    """Start `manage.py relink --job N` detached from this process (and the request)."""
    try:
        subprocess.Popen(
            [sys.executable, "manage.py", "relink", "--job", str(job_id)],
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        _finish(job_id, RelinkJob.Status.FAILED, f"Could not start the relink: {exc}")


def _finish(job_id: int, status: str, result: str) -> None:
    RelinkJob.objects.filter(pk=job_id).update(
        status=status, result=result, finished=timezone.now()
    )


def run_job(job_id: int) -> RelinkJob | None:
    """Run a queued job: RUNNING, then DONE with what changed or FAILED with the error.
    None when it is not queued (another runner has it, or it ran)."""
    claimed = RelinkJob.objects.filter(pk=job_id, status=RelinkJob.Status.QUEUED).update(
        status=RelinkJob.Status.RUNNING, started=timezone.now()
    )
    if not claimed:
        return None
    try:
        stats = relink_everything()
    except Exception as exc:  # the job records any failure; the caller reads it there
        _finish(job_id, RelinkJob.Status.FAILED, f"{type(exc).__name__}: {exc}")
    else:
        _finish(job_id, RelinkJob.Status.DONE, describe(stats))
    return RelinkJob.objects.get(pk=job_id)


def run_pending() -> list[RelinkJob]:
    """Run every queued job, oldest first."""
    ids = RelinkJob.objects.filter(status=RelinkJob.Status.QUEUED).order_by("pk")
    return [job for pk in list(ids.values_list("pk", flat=True)) if (job := run_job(pk))]


def finished_jobs_to_announce(user) -> list[RelinkJob]:
    """The user's jobs that finished since they were last told; each is told once."""
    jobs = list(
        RelinkJob.objects.filter(
            requested_by=user,
            announced=False,
            status__in=[RelinkJob.Status.DONE, RelinkJob.Status.FAILED],
        ).order_by("pk")
    )
    RelinkJob.objects.filter(pk__in=[j.pk for j in jobs]).update(announced=True)
    return jobs
