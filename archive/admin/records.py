from django.contrib import admin

from ..models import EntityRedirect, RelinkJob, Suppression
from .base import ArchiveAdmin


@admin.register(Suppression)
class SuppressionAdmin(ArchiveAdmin):
    """Catalogue items editors deleted. Delete a row here to let the next import restore it."""

    list_display = ["what", "key", "created"]
    list_filter = ["what"]
    search_fields = ["key"]
    readonly_fields = ["what", "key", "created"]

    def has_add_permission(self, request):
        return False


@admin.register(EntityRedirect)
class EntityRedirectAdmin(ArchiveAdmin):
    list_display = ["old_slug", "entity"]
    search_fields = ["old_slug", "entity__name", "entity__slug"]
    autocomplete_fields = ["entity"]
    list_select_related = ["entity"]


@admin.register(RelinkJob)
class RelinkJobAdmin(ArchiveAdmin):
    """Relinks of every article that editors' changes of names queued (`manage.py relink`
    runs them): read-only, so an editor sees when theirs is done."""

    list_display = [
        "number",
        "status",
        "reason",
        "requested_by",
        "created",
        "started",
        "finished",
        "result",
    ]
    list_filter = ["status"]
    search_fields = ["reason", "result"]
    list_select_related = ["requested_by"]

    @admin.display(description="job", ordering="pk")
    def number(self, obj):
        return f"#{obj.pk}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
