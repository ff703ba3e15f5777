from django.contrib import admin

from .. import curation
from ..models import Alias, Mention, ProgramStatus, Relationship
from .base import (
    LIST_AND_FORM,
    ArticleTitleColumn,
    CurationAdmin,
    EditedFilter,
    QuoteForm,
    spans_display,
)


@admin.register(Alias)
class AliasAdmin(CurationAdmin):
    save_action = staticmethod(curation.save_alias)
    list_display = ["name", "entity", "case_sensitive", "origin"]
    list_filter = ["origin", "case_sensitive", "entity__kind"]
    search_fields = ["name", "entity__name", "entity__acronym"]
    autocomplete_fields = ["entity"]
    readonly_fields = ["origin"]
    list_select_related = ["entity"]


@admin.register(Mention)
class MentionAdmin(ArticleTitleColumn, CurationAdmin):
    save_action = staticmethod(curation.save_mention)
    # The state (the column an editor changes) before the details that only inform it.
    list_display = ["entity", "article_title", "state", "origin", "count"]
    list_editable = ["state"]
    list_filter = ["state", "origin", "entity__kind"]
    search_fields = ["entity__name", "entity__acronym", "article__title", "article__slug"]
    autocomplete_fields = ["article", "entity"]
    fields = ["article", "entity", "count", "origin", "state", "where"]
    readonly_fields = ["origin", "where"]
    list_select_related = ["entity", "article"]
    actions = ["confirm", "reject", "reset"]

    @admin.display(description="where in the text")
    def where(self, obj):
        return spans_display(obj)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # reject instead: a deleted one comes back
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and curation.delete_rejects(obj):
            return False  # the delete page would only reject it: the list's Reject says so
        return super().has_delete_permission(request, obj)

    def _set_state(self, request, queryset, state):
        mentions = queryset.select_related("article", "entity")
        self.report(request, curation.set_mention_state(mentions, state, request.user))

    @admin.action(description="Confirm the selected mentions", location=LIST_AND_FORM)
    def confirm(self, request, queryset):
        self._set_state(request, queryset, Mention.State.CONFIRMED)

    @admin.action(description="Reject the selected mentions", location=LIST_AND_FORM)
    def reject(self, request, queryset):
        self._set_state(request, queryset, Mention.State.REJECTED)

    @admin.action(
        description="Hand the selected mentions back to the linker", location=LIST_AND_FORM
    )
    def reset(self, request, queryset):
        self._set_state(request, queryset, Mention.State.AUTO)


@admin.register(Relationship)
class RelationshipAdmin(ArticleTitleColumn, CurationAdmin):
    save_action = staticmethod(curation.save_relationship)
    form = QuoteForm
    # The claim (subject, kind, object), where it is sourced, then its details.
    list_display = [
        "subject",
        "kind",
        "object",
        "article_title",
        "amount",
        "period",
        "edited_list",
    ]
    list_filter = ["kind", EditedFilter, "subject__kind", "object__kind"]
    search_fields = [
        "subject__name",
        "subject__acronym",
        "object__name",
        "object__acronym",
        "quote",
        "article__title",
    ]
    autocomplete_fields = ["subject", "object", "article"]
    readonly_fields = ["edited_fields"]
    list_select_related = ["subject", "object", "article"]


@admin.register(ProgramStatus)
class ProgramStatusAdmin(ArticleTitleColumn, CurationAdmin):
    save_action = staticmethod(curation.save_program_status)
    form = QuoteForm
    list_display = ["program", "status", "year", "note", "article_title"]
    list_filter = ["status", "year"]
    search_fields = ["program__name", "program__acronym", "note", "quote", "article__title"]
    autocomplete_fields = ["program", "article"]
    list_select_related = ["program", "article"]
