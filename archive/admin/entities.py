from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join

from .. import curation
from ..models import (
    Agency,
    Alias,
    Contractor,
    Entity,
    EntityKind,
    Mention,
    Organization,
    Program,
    ProgramStatus,
    Relationship,
)
from .base import (
    LIST_AND_FORM,
    VISIBLE,
    CurationAdmin,
    EditedFilter,
    LabelledTabularInline,
    MentionInline,
    QuoteForm,
)

CURATION = ["kind", "edited_fields", "redirects_here", "created", "updated"]


class EntityMentionInline(MentionInline):
    fk_name, other = "entity", "article"
    verbose_name_plural = "articles naming it (deleting one the linker found rejects it)"


class AliasInline(LabelledTabularInline):
    model = Alias
    fields = ["name", "case_sensitive", "origin"]
    readonly_fields = ["origin"]
    extra = 0


class RelationshipOutInline(admin.StackedInline):
    model = Relationship
    form = QuoteForm
    fk_name = "subject"
    fields = [
        ("kind", "object"),
        "article",
        "quote",
        "second_quote",
        ("amount", "period"),
        ("collective", "context"),
        "edited_fields",
    ]
    readonly_fields = ["edited_fields"]
    autocomplete_fields = ["object", "article"]
    extra = 0
    verbose_name_plural = "relationships (this entity is the subject)"

    def get_queryset(self, request):
        # The subject too: each row's label (Relationship.__str__) names both ends.
        return super().get_queryset(request).select_related("subject", "object", "article")


class ProgramStatusInline(LabelledTabularInline):
    model = ProgramStatus
    form = QuoteForm
    fields = ["status", "year", "note", "article", "quote"]
    autocomplete_fields = ["article"]
    extra = 0


class EntityAdminBase(CurationAdmin):
    save_action = staticmethod(curation.save_entity)
    search_fields = ["name", "acronym", "slug", "aliases__name"]
    list_display = ["name", "acronym", "slug", "articles", "reviewed", "edited_list"]
    list_filter = ["reviewed", EditedFilter]
    inlines = [AliasInline, EntityMentionInline, RelationshipOutInline]
    actions = ["merge_selected", "mark_reviewed", "release_fields"]
    extra_fields: list[str] = []

    def get_queryset(self, request):
        # A GROUP BY drops Meta.ordering; autocomplete pages need a stable order.
        return (
            super()
            .get_queryset(request)
            .annotate(n_articles=Count("mentions", filter=VISIBLE, distinct=True))
            .order_by(*self.model._meta.ordering)
        )

    def get_fieldsets(self, request, obj=None):
        main = [
            "name",
            "slug",
            "acronym",
            *self.extra_fields,
            "description",
            "description_sources",
            "reviewed",
        ]
        return [(None, {"fields": main}), ("Curation", {"fields": CURATION})]

    def get_readonly_fields(self, request, obj=None):
        # The catalogue recognises an entity by its slug; merge to retire an address.
        return CURATION if obj is None else [*curation.fixed_fields(obj), *CURATION]

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ["name"]} if obj is None else {}

    @admin.display(description="articles", ordering="n_articles")
    def articles(self, obj):
        return obj.n_articles

    @admin.display(description="old addresses redirected here")
    def redirects_here(self, obj):
        return ", ".join(obj.redirects.values_list("old_slug", flat=True)) or "—"

    def get_deleted_objects(self, objs, request):
        # An entity's mentions go with it (the import will not re-create them: the entity is
        # remembered as deleted), though a linker mention cannot be deleted on its own.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(Mention._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    @admin.action(description="Mark the selected entities reviewed", location=LIST_AND_FORM)
    def mark_reviewed(self, request, queryset):
        self.report(request, curation.mark_reviewed(queryset, request.user))

    @admin.action(
        description="Merge the selected entities into one…", permissions=["change", "delete"]
    )
    def merge_selected(self, request, queryset):
        try:
            plan = curation.plan_merge(queryset)
            if request.POST.get("post") != "yes":
                return self.merge_confirmation(request, plan)
            target = plan.target(request.POST.get("target"))
            result = curation.merge_entities(
                target,
                plan.entities,
                request.user,
                drop_reworded=request.POST.get("drop_reworded") == "yes",
            )
        except curation.CurationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        self.report(request, result)
        return None

    def merge_confirmation(self, request, plan):
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge entities",
            "opts": self.model._meta,
            "entities": plan.entities,
            "default_target": plan.default_target,  # the one with the most articles
            "previews": plan.previews(),
            "action_name": "merge_selected",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/archive/merge_entities.html", context)


@admin.register(Entity)
class EntityAdmin(EntityAdminBase):
    """Every kind in one list (and the target of autocomplete fields). Entities are added
    and edited as an agency, contractor or program: a change link leads there."""

    list_display = ["name", "kind", "acronym", "slug", "articles", "reviewed", "edited_list"]
    list_filter = ["kind", "reviewed", EditedFilter]

    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entity = self.get_object(request, unquote(object_id))
        if entity is not None and entity.kind in EntityKind.values:
            return redirect(reverse(f"admin:archive_{entity.kind}_change", args=[entity.pk]))
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Agency)
class AgencyAdmin(EntityAdminBase):
    extra_fields = ["parent", "parent_source", "children_list"]
    list_display = [
        "name",
        "acronym",
        "parent",
        "children_count",
        "articles",
        "reviewed",
        "edited_list",
    ]
    list_filter = ["reviewed", EditedFilter, ("parent", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_children=Count("children", distinct=True))
            .order_by(*self.model._meta.ordering)
        )

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "children_list"]

    @admin.display(description="children", ordering="n_children")
    def children_count(self, obj):
        return obj.n_children

    @admin.display(description="child agencies")
    def children_list(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        children = obj.children.all()
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:archive_agency_change", args=[c.pk]), c.short_name)
                    for c in children
                ),
            )
            or "—"
        )


@admin.register(Contractor)
class ContractorAdmin(EntityAdminBase):
    pass


@admin.register(Organization)
class OrganizationAdmin(EntityAdminBase):
    """Watchdogs, advocacy groups, news outlets, legislatures and courts."""


@admin.register(Program)
class ProgramAdmin(EntityAdminBase):
    extra_fields = ["status"]
    list_display = ["name", "acronym", "status", "articles", "reviewed", "edited_list"]
    list_filter = ["status", "reviewed", EditedFilter]
    inlines = [AliasInline, ProgramStatusInline, EntityMentionInline, RelationshipOutInline]
