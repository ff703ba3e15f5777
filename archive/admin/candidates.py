from django import forms
from django.contrib import admin

from .. import curation
from ..models import Candidate, EntityKind
from .base import LIST_AND_FORM, ArticleTitleColumn, CurationAdmin, clip


class SuggestedKindFilter(admin.SimpleListFilter):
    """The kind discovery suggests, by its name; "none suggested" for the rest (Django's
    default filter would show a blank value as a link with no text)."""

    title = "suggested kind"
    parameter_name = "suggested_kind"

    def lookups(self, request, model_admin):
        return [*((k.value, k.label) for k in EntityKind), ("none", "None suggested")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(suggested_kind="")
        if self.value():
            return queryset.filter(suggested_kind=self.value())
        return queryset


class CandidateStatusFilter(admin.SimpleListFilter):
    """The review queue: pending candidates unless the editor asks for others."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*Candidate.State.choices, ("all", "All")]

    def value(self):
        return super().value() or Candidate.State.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(state=self.value())


class CandidateForm(forms.ModelForm):
    class Meta:
        model = Candidate
        fields = [
            "name",
            "acronym",
            "reason",
            "suggested_kind",
            "article",
            "passage",
            "state",
            "entity",
        ]
        help_texts = {
            "entity": "To approve this name as an alias of an existing entity, choose the entity, "
            "set the state to Approved and save. To make it a new entity, use the actions on "
            "the list.",
        }

    def clean(self):
        data = super().clean()
        errors = curation.candidate_errors(
            data.get("name"),
            data.get("state"),
            data.get("entity"),
            created=self.instance.pk is None,
        )
        for name, message in errors.items():
            self.add_error(name, message)
        return data


PASSAGE_CHARS = 120  # of a candidate's passage in the queue: three short lines


@admin.register(Candidate)
class CandidateAdmin(ArticleTitleColumn, CurationAdmin):
    save_action = staticmethod(curation.save_candidate)
    form = CandidateForm
    # What an editor decides on (the name in its passage) and the decision, then the details.
    list_display = [
        "name",
        "acronym",
        "passage_short",
        "state",
        "suggested_kind",
        "reason",
        "article_title",
        "entity",
    ]
    list_filter = [CandidateStatusFilter, "reason", SuggestedKindFilter]
    search_fields = ["name", "acronym", "passage", "article__title"]
    autocomplete_fields = ["article", "entity"]
    list_select_related = ["article", "entity"]
    actions = [
        "approve_as_agency",
        "approve_as_contractor",
        "approve_as_program",
        "approve_as_organization",
        "approve_as_alias",
        "reject",
    ]

    def get_fields(self, request, obj=None):
        fields = CandidateForm.Meta.fields
        return fields if obj is None else [*fields, "key", "created"]

    def get_readonly_fields(self, request, obj=None):
        return ["key", "created"] if obj is None else ["key", "reason", "passage", "created"]

    @admin.display(description="passage")
    def passage_short(self, obj):
        return clip(obj.passage, PASSAGE_CHARS)

    def _approve(self, request, queryset, kind):
        candidates = queryset.select_related("article")
        self.report(request, curation.approve_candidates(candidates, kind, request.user))

    @admin.action(description="Approve as agency", location=LIST_AND_FORM)
    def approve_as_agency(self, request, queryset):
        self._approve(request, queryset, EntityKind.AGENCY)

    @admin.action(description="Approve as contractor", location=LIST_AND_FORM)
    def approve_as_contractor(self, request, queryset):
        self._approve(request, queryset, EntityKind.CONTRACTOR)

    @admin.action(description="Approve as program", location=LIST_AND_FORM)
    def approve_as_program(self, request, queryset):
        self._approve(request, queryset, EntityKind.PROGRAM)

    @admin.action(description="Approve as organization", location=LIST_AND_FORM)
    def approve_as_organization(self, request, queryset):
        self._approve(request, queryset, EntityKind.ORGANIZATION)

    @admin.action(description="Approve as alias of the chosen entity", location=LIST_AND_FORM)
    def approve_as_alias(self, request, queryset):
        candidates = queryset.select_related("entity")
        self.report(request, curation.approve_as_aliases(candidates, request.user))

    @admin.action(description="Reject", location=LIST_AND_FORM)
    def reject(self, request, queryset):
        self.report(request, curation.reject_candidates(queryset, request.user))
