"""The admin history ("History" on each object): the one place the archive writes it.

Every curation action logs here once, with Django's own ADDITION/CHANGE/DELETION flags;
the admin logs nothing itself. A form save is logged as Django would log it (a list it
renders as "Changed Title. Added mention “…”."), so the history reads the same.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.utils.text import capfirst

__all__ = ["ADDITION", "CHANGE", "DELETION", "form_message", "log"]


def log(user, objs, flag: int, message: str | list = "") -> None:
    """Record `flag` for each of `objs` (before a deletion: the rows must still exist).
    Nothing is recorded without a user (an import, a shell)."""
    objs = list(objs)
    if user is None or not objs:
        return
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=objs, action_flag=flag, change_message=message
    )


def _labels(obj, fields) -> list[str]:
    names = {f.name: f for f in obj._meta.get_fields() if hasattr(f, "verbose_name")}
    return [capfirst(names[f].verbose_name) if f in names else f for f in fields]


def _row(obj) -> dict:
    return {"name": str(obj._meta.verbose_name), "object": str(obj)}


def form_message(obj, changed, created: bool, related) -> list:
    """What a change form did to `obj` and its inline rows, in Django's message format."""
    if created:
        message: list = [{"added": {}}]
    else:
        message = [{"changed": {"fields": _labels(obj, changed)}}] if changed else []
    for rows in related:
        message += [{"added": _row(o)} for o in rows.added]
        message += [
            {"changed": {**_row(o), "fields": _labels(o, fields)}} for o, fields in rows.changed
        ]
        message += [{"deleted": _row(o)} for o in rows.deleted]
    return message
