"""When the archive's public content last changed: one row (ArchiveState), read by every
public page to answer conditional requests (ETag / Last-Modified) without rendering.

- last_change()   the time of the last change, or None before the first (one query by key)
- touch()         record a change now (update, or create the row the first time)
- touch_on_commit()  record a change when the current transaction commits: what model
                  signals call (archive/apps.py), so an import or an editor's action that
                  saves a thousand rows writes the row once, after its data is visible, and
                  never holds the row's lock for the length of the transaction
- remember(name, compute, version)  compute() once per change of the archive: what the
                  pages' aggregates (counts, timelines, "named alongside") use, so a page
                  costs the same at 100,000 articles as at 10 once the first reader has paid

Bulk writes (QuerySet.update, bulk_create) send no signals: whoever runs them calls touch()
when they are done (import_seeds, relink).

Depends on models only.
"""

from datetime import datetime

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone

from .models import ArchiveState

ROW = 1  # the one row's key


def last_change() -> datetime | None:
    """Read where the page reads (the router's choice: a replica, if there are any), so
    the validators never run ahead of the data the page shows."""
    return ArchiveState.objects.filter(pk=ROW).values_list("changed", flat=True).first()


def touch(using: str = DEFAULT_DB_ALIAS) -> datetime:
    now = timezone.now()
    rows = ArchiveState.objects.using(using)
    if not rows.filter(pk=ROW).update(changed=now):
        try:
            with transaction.atomic(using=using):
                rows.create(pk=ROW, changed=now)
        except IntegrityError:  # another process created it meanwhile
            rows.filter(pk=ROW).update(changed=now)
    return now


def touch_on_commit(using: str = DEFAULT_DB_ALIAS) -> None:
    """touch() once the transaction commits (at once outside one); once per transaction.

    A callback already waiting in this transaction is not added again. Should the savepoint
    it was added in roll back, Django drops it, and the next change adds it anew."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(
        getattr(func, "touches", None) == using for _, func, _ in connection.run_on_commit
    ):
        return

    def callback():
        touch(using)

    callback.touches = using
    # robust: a touch that fails after the data committed is logged, not raised at the editor.
    transaction.on_commit(callback, using=using, robust=True)


def changed(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """A post_save / post_delete receiver for the models whose rows the public pages show."""
    touch_on_commit(using)


def remember(name: str, compute, version: datetime | None):
    """compute()'s value, kept in Django's cache under `name` and the archive's last change
    (`version`, read once by the caller with last_change()).

    Exactly as fresh as the pages' ETag: every change of public content moves last_change,
    so a stale value is never read again (it ages out of the cache). Values must pickle.
    """
    key = f"archive:{name}:{version.isoformat() if version else 'never'}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, REMEMBER_SECONDS)
    return value


_MISSING = object()
# A bound on how long an unused value occupies memory; correctness never depends on it.
REMEMBER_SECONDS = 24 * 3600
