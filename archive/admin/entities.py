"""The editors' admin: every model, with curation that survives a re-import.

- Saving an article or entity records the curated fields the editor changed in
  `edited_fields`; the importer and the catalogue sync then leave those fields alone.
- A mention an editor adds is origin="editor"; a state an editor sets (confirmed/rejected)
  is kept by the linker. Deleting a mention the linker found would only bring it back on
  the next import, so in the inlines it becomes "rejected" instead.
- A relationship an editor saves records the fields changed in `edited_fields`.
- Merging, approving and rejecting suggested names live in ingest/curation.py; the actions
  here call them and record every change in the admin history.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from .ingest import curation
from .models import (
    Agency,
    Alias,
    Article,
    Candidate,
    Contractor,
    Entity,
    EntityKind,
    EntityRedirect,
    Mention,
    Program,
    ProgramStatus,
    Relationship,
    Suppression,
)
from .models.articles import ARTICLE_CURATED_FIELDS
from .models.entities import ENTITY_CURATED_FIELDS
from .names.text import fold_key

admin.site.site_header = "Surveillance archive"
admin.site.site_title = "Surveillance archive"
admin.site.index_title = "Curation"

VISIBLE = Mention.visible_q("mentions__")
# Actions offered both on the list and on an object's own change form (Django 6.1).
LIST_AND_FORM = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


def record_edits(obj, form, curated) -> list[str]:
    """Add the curated fields the form changed to obj.edited_fields (not saved here)."""
    changed = [f for f in form.changed_data if f in curated]
    if changed:
        obj.edited_fields = sorted(set(obj.edited_fields or []) | set(changed))
    return changed


def _from_catalogue(obj) -> bool:
    """Could the catalogue re-create this on import? (Editors' own additions cannot.)"""
    return Suppression.of(obj) is not None


class SuppressOnDelete:
    """Deleting a catalogue item in the admin remembers it, so import_seeds leaves it out."""

    def delete_model(self, request, obj):
        if _from_catalogue(obj):
            curation.suppress([obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        curation.suppress(o for o in queryset if _from_catalogue(o))
        super().delete_queryset(request, queryset)


def _spans_display(obj):
    spans = obj.spans or []
    if not spans:
        return "—"
    body = obj.article.body if obj.article_id else ""
    joined = format_html_join(
        ", ", "“{}” [{}–{}]", ((Truncator(body[s:e]).chars(40), s, e) for s, e in spans[:8])
    )
    return format_html("{}{}", joined, "…" if len(spans) > 8 else "")


class EditedFilter(admin.SimpleListFilter):
    title = "edited by an editor"
    parameter_name = "edited"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(edited_fields=[])
        if self.value() == "no":
            return queryset.filter(edited_fields=[])
        return queryset


class QuoteForm(forms.ModelForm):
    """A sourced claim: its quote must be the article's own words."""

    def clean(self):
        data = super().clean()
        article, quote = data.get("article"), data.get("quote")
        if article and quote and quote not in article.body:
            self.add_error("quote", "Copy the sentence exactly as the article's text has it.")
        return data


class RelationshipForm(QuoteForm):
    def clean(self):
        data = super().clean()
        subject = data.get("subject")
        subject_id = subject.pk if subject else self.instance.subject_id
        obj = data.get("object")
        if obj and subject_id == obj.pk:
            self.add_error("object", "An entity cannot stand in a relationship with itself.")
        return data


# --- inlines -------------------------------------------------------------------------


class MentionInlineBase(admin.TabularInline):
    model = Mention
    extra = 0
    readonly_fields = ["origin", "where"]
    show_change_link = True

    @admin.display(description="where in the text")
    def where(self, obj):
        return _spans_display(obj)


class ArticleMentionInline(MentionInlineBase):
    fk_name = "article"
    fields = ["entity", "count", "origin", "state", "where"]
    autocomplete_fields = ["entity"]
    verbose_name_plural = "entities named (deleting one the linker found rejects it)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entity", "article")


class EntityMentionInline(MentionInlineBase):
    fk_name = "entity"
    fields = ["article", "count", "origin", "state", "where"]
    autocomplete_fields = ["article"]
    verbose_name_plural = "articles naming it (deleting one the linker found rejects it)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("article")


class AliasInline(admin.TabularInline):
    model = Alias
    fields = ["name", "case_sensitive", "origin"]
    readonly_fields = ["origin"]
    extra = 0


class RelationshipOutInline(admin.StackedInline):
    model = Relationship
    form = RelationshipForm
    fk_name = "subject"
    fields = [("kind", "object"), "article", "quote", ("amount", "period"), "edited_fields"]
    readonly_fields = ["edited_fields"]
    autocomplete_fields = ["object", "article"]
    extra = 0
    verbose_name_plural = "relationships (this entity is the subject)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("object", "article")


class ProgramStatusInline(admin.TabularInline):
    model = ProgramStatus
    form = QuoteForm
    fields = ["status", "year", "note", "article", "quote"]
    autocomplete_fields = ["article"]
    extra = 0


# --- shared behaviour ----------------------------------------------------------------


class CurationAdmin(admin.ModelAdmin):
    """Records edited fields and keeps inlined mentions, aliases and relationships curated."""

    curated_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        changed = record_edits(obj, form, self.curated_fields)
        if {"name", "acronym"} & set(changed):
            request._archive_relink_all = True
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        instances = formset.save(commit=False)
        new = set(map(id, formset.new_objects))
        changed = {id(o): fields for o, fields in formset.changed_objects}
        # Deleted catalogue items are remembered, so the next import leaves them out.
        curation.suppress(o for o in formset.deleted_objects if _from_catalogue(o))
        for obj in formset.deleted_objects:
            if model is Mention and obj.origin == Mention.Origin.LINKER:
                # It would come back on the next import; rejecting it keeps it off.
                obj.state = Mention.State.REJECTED
                obj.save(update_fields=["state"])
                self.message_user(
                    request,
                    f"“{obj.entity}” in “{obj.article}” was found by the linker, so it was "
                    "marked rejected rather than deleted (it would come back on the next import).",
                    messages.WARNING,
                )
                continue
            if model is Alias:
                request._archive_relink_all = True
            obj.delete()
        for obj in instances:
            if model is Mention and (id(obj) in new or "entity" in changed.get(id(obj), [])):
                obj.origin = Mention.Origin.EDITOR
            elif model is Relationship:
                obj.mark_edited(
                    Relationship.IMPORTED_FIELDS if id(obj) in new else changed.get(id(obj), [])
                )
            elif model is Alias:
                request._archive_relink_all = True
                # Any alias an editor touched is theirs: the catalogue sync leaves it alone.
                obj.origin = Alias.Origin.EDITOR
            obj.save()
        formset.save_m2m()

    @admin.action(description="Hand the edited fields back to the import", location=LIST_AND_FORM)
    def release_fields(self, request, queryset):
        n = 0
        for obj in queryset.exclude(edited_fields=[]):
            fields = ", ".join(obj.edited_fields)
            obj.edited_fields = []
            obj.save(update_fields=["edited_fields"])
            self.log_change(request, obj, f"Handed back to the import: {fields}.")
            n += 1
        self.message_user(request, f"{n} object(s): the next import may update every field again.")

    @admin.display(description="edited")
    def edited_list(self, obj):
        return ", ".join(obj.edited_fields or []) or "—"


# --- articles ------------------------------------------------------------------------


@admin.register(Article)
class ArticleAdmin(CurationAdmin):
    curated_fields = ARTICLE_CURATED_FIELDS
    list_display = ["title", "published", "publication", "entity_count", "edited_list"]
    list_filter = ["publication", EditedFilter, "seed_file"]
    date_hierarchy = "published"
    search_fields = ["title", "slug", "publication", "dept", "entity_text"]
    inlines = [ArticleMentionInline]
    actions = ["relink", "release_fields"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "published",
                    "publication",
                    "source_url",
                    "dept",
                    "facts_note",
                ]
            },
        ),
        ("Text", {"fields": ["body"]}),
        (
            "Curation and provenance",
            {
                "fields": [
                    "edited_fields",
                    "entity_text",
                    "seed_file",
                    "seed_line",
                    "content_hash",
                    "created",
                    "updated",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_entities=Count("mentions", filter=VISIBLE, distinct=True))
            .order_by(*Article._meta.ordering)
        )

    @admin.display(description="entities", ordering="n_entities")
    def entity_count(self, obj):
        return obj.n_entities

    def get_readonly_fields(self, request, obj=None):
        always = [
            "edited_fields",
            "entity_text",
            "seed_file",
            "seed_line",
            "content_hash",
            "created",
            "updated",
        ]
        # The slug is how a re-import recognises the article, and the body is the seed's
        # text: an editor curates the facts around it, not the text itself.
        return always if obj is None else ["slug", "body", *always]

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ["title"]} if obj is None else {}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # New mentions, states or a new body change what the article names: relink it.
        curation.relink_articles([form.instance])

    @admin.action(
        description="Run the linker again on the selected articles", location=LIST_AND_FORM
    )
    def relink(self, request, queryset):
        articles = list(queryset)
        stats = curation.relink_articles(articles)
        for a in articles:
            self.log_change(request, a, "Relinked entities.")
        self.message_user(
            request,
            f"Relinked {len(articles)} article(s): {stats['mentions_created']} mentions created, "
            f"{stats['mentions_updated']} updated, {stats['mentions_removed']} removed, "
            f"{stats['mentions_left_alone']} set by editors left alone.",
        )


# --- entities ------------------------------------------------------------------------


class EntityAdminBase(CurationAdmin):
    curated_fields = ENTITY_CURATED_FIELDS
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
        return [
            (
                None,
                {
                    "fields": [
                        "name",
                        "slug",
                        "acronym",
                        *self.extra_fields,
                        "description",
                        "reviewed",
                    ]
                },
            ),
            (
                "Curation",
                {"fields": ["kind", "edited_fields", "redirects_here", "created", "updated"]},
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        always = ["kind", "edited_fields", "redirects_here", "created", "updated"]
        # The catalogue recognises an entity by its slug; merge to retire an address.
        return always if obj is None else ["slug", *always]

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ["name"]} if obj is None else {}

    @admin.display(description="articles", ordering="n_articles")
    def articles(self, obj):
        return obj.n_articles

    @admin.display(description="old addresses redirected here")
    def redirects_here(self, obj):
        return ", ".join(obj.redirects.values_list("old_slug", flat=True)) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        if getattr(request, "_archive_relink_all", False):
            # Names changed: any article may now name it (or stop naming it).
            curation.relink_articles()
        else:
            curation.relink_articles(Article.objects.filter(mentions__entity=obj).distinct())

    def _reindex_after_delete(self, entity_ids, delete):
        articles = list(Article.objects.filter(mentions__entity__in=entity_ids).distinct())
        delete()
        curation.relink_articles(articles)

    def get_deleted_objects(self, objs, request):
        # An entity's mentions go with it (the import will not re-create them: the entity is
        # remembered as deleted), though a linker mention cannot be deleted on its own.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(Mention._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        curation.suppress([obj])
        self._reindex_after_delete(
            [obj.pk], lambda: super(EntityAdminBase, self).delete_model(request, obj)
        )

    def delete_queryset(self, request, queryset):
        curation.suppress(list(queryset))
        ids = list(queryset.values_list("pk", flat=True))
        self._reindex_after_delete(
            ids, lambda: super(EntityAdminBase, self).delete_queryset(request, queryset)
        )

    @admin.action(description="Mark the selected entities reviewed", location=LIST_AND_FORM)
    def mark_reviewed(self, request, queryset):
        n = 0
        for obj in queryset.filter(reviewed=False):
            obj.reviewed = True
            obj.save(update_fields=["reviewed", "updated"])
            self.log_change(request, obj, "Marked reviewed.")
            n += 1
        self.message_user(request, f"{n} entit{'y' if n == 1 else 'ies'} marked reviewed.")

    @admin.action(
        description="Merge the selected entities into one…", permissions=["change", "delete"]
    )
    def merge_selected(self, request, queryset):
        entities = list(
            Entity.objects.filter(pk__in=queryset.values("pk"))
            .with_article_counts()
            .prefetch_related("aliases")
            .order_by("-article_count", "pk")
        )
        if len(entities) < 2:
            self.message_user(request, "Select two or more entities to merge.", messages.ERROR)
            return None
        if len({e.kind for e in entities}) > 1:
            self.message_user(request, "Only entities of one kind can be merged.", messages.ERROR)
            return None
        if request.POST.get("post") == "yes":
            target = next((e for e in entities if str(e.pk) == request.POST.get("target")), None)
            if target is None:
                self.message_user(request, "Choose the entity to keep.", messages.ERROR)
                return None
            others = [e for e in entities if e.pk != target.pk]
            try:
                with transaction.atomic():
                    self.log_deletions(
                        request, Entity.objects.filter(pk__in=[o.pk for o in others])
                    )
                    result = curation.merge_entities(target, others)
                    self.log_change(request, target, result.message())
            except curation.CurationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(request, result.message(), messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge entities",
            "opts": self.model._meta,
            "entities": entities,
            "default_target": entities[0],  # the one with the most articles
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
    extra_fields = ["parent", "children_list"]
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


@admin.register(Program)
class ProgramAdmin(EntityAdminBase):
    extra_fields = ["status"]
    list_display = ["name", "acronym", "status", "articles", "reviewed", "edited_list"]
    list_filter = ["status", "reviewed", EditedFilter]
    inlines = [AliasInline, ProgramStatusInline, EntityMentionInline, RelationshipOutInline]


# --- links ---------------------------------------------------------------------------


@admin.register(Alias)
class AliasAdmin(SuppressOnDelete, admin.ModelAdmin):
    list_display = ["name", "entity", "case_sensitive", "origin"]
    list_filter = ["origin", "case_sensitive", "entity__kind"]
    search_fields = ["name", "entity__name", "entity__acronym"]
    autocomplete_fields = ["entity"]
    readonly_fields = ["origin"]
    list_select_related = ["entity"]

    def save_model(self, request, obj, form, change):
        # Any alias an editor saves is theirs: the catalogue sync leaves it alone.
        obj.origin = Alias.Origin.EDITOR
        super().save_model(request, obj, form, change)
        curation.relink_articles()  # a name changed: any article may name the entity now

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        curation.relink_articles()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        curation.relink_articles()


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ["entity", "article", "count", "origin", "state"]
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
        return _spans_display(obj)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # reject instead: a deleted one comes back
        return actions

    def has_delete_permission(self, request, obj=None):
        # A mention the linker found returns on the next import; reject it instead.
        if obj is not None and obj.origin == Mention.Origin.LINKER:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change or "entity" in form.changed_data:
            obj.origin = Mention.Origin.EDITOR
        super().save_model(request, obj, form, change)
        curation.relink_articles([obj.article])

    def delete_model(self, request, obj):
        article = obj.article
        super().delete_model(request, obj)
        curation.relink_articles([article])

    def _set_state(self, request, queryset, state):
        mentions = list(queryset.exclude(state=state).select_related("article", "entity"))
        for m in mentions:
            m.state = state
            m.save(update_fields=["state"])
            self.log_change(request, m, f"State set to {Mention.State(state).label.lower()}.")
        curation.relink_articles({m.article_id: m.article for m in mentions}.values())
        self.message_user(
            request, f"{len(mentions)} mention(s) set to {Mention.State(state).label.lower()}."
        )

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
class RelationshipAdmin(SuppressOnDelete, admin.ModelAdmin):
    form = RelationshipForm
    list_display = ["subject", "kind", "object", "amount", "period", "article", "edited_fields"]
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

    def save_model(self, request, obj, form, change):
        # The catalogue leaves the fields an editor set alone (all of a new one's).
        obj.mark_edited(form.changed_data if change else Relationship.IMPORTED_FIELDS)
        super().save_model(request, obj, form, change)


@admin.register(ProgramStatus)
class ProgramStatusAdmin(SuppressOnDelete, admin.ModelAdmin):
    form = QuoteForm
    list_display = ["program", "status", "year", "note", "article"]
    list_filter = ["status", "year"]
    search_fields = ["program__name", "program__acronym", "note", "quote", "article__title"]
    autocomplete_fields = ["program", "article"]
    list_select_related = ["program", "article"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Catalogue items editors deleted. Delete a row here to let the next import restore it."""

    list_display = ["what", "key", "created"]
    list_filter = ["what"]
    search_fields = ["key"]
    readonly_fields = ["what", "key", "created"]

    def has_add_permission(self, request):
        return False


@admin.register(EntityRedirect)
class EntityRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_slug", "entity"]
    search_fields = ["old_slug", "entity__name", "entity__slug"]
    autocomplete_fields = ["entity"]
    list_select_related = ["entity"]


# --- suggested names -----------------------------------------------------------------


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
        name = data.get("name")
        if name and self.instance.pk is None:
            if Candidate.objects.filter(key=fold_key(name)).exists():
                self.add_error("name", "This name was already suggested.")
        if data.get("state") == Candidate.State.APPROVED and not data.get("entity"):
            self.add_error(
                "entity",
                "Choose the entity this name is an alias of, or approve it as a new "
                "agency, contractor or program with the actions on the list.",
            )
        return data


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    form = CandidateForm
    list_display = [
        "name",
        "acronym",
        "reason",
        "suggested_kind",
        "article",
        "passage_short",
        "state",
        "entity",
    ]
    list_filter = [CandidateStatusFilter, "reason", "suggested_kind"]
    search_fields = ["name", "acronym", "passage", "article__title"]
    autocomplete_fields = ["article", "entity"]
    list_select_related = ["article", "entity"]
    actions = [
        "approve_as_agency",
        "approve_as_contractor",
        "approve_as_program",
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
        return Truncator(obj.passage).chars(160)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.key = fold_key(obj.name)
        becomes_alias = (
            obj.state == Candidate.State.APPROVED
            and obj.entity_id
            and ({"state", "entity"} & set(form.changed_data))
        )
        super().save_model(request, obj, form, change)
        if becomes_alias:
            curation.approve_candidate_as_alias(obj, obj.entity)
            self.log_change(
                request, obj.entity, f"Added “{obj.name}” as an alias (suggested name approved)."
            )
            self.message_user(
                request, f"“{obj.name}” is now an alias of {obj.entity}; articles relinked."
            )

    def _approve(self, request, queryset, kind):
        pending = list(queryset.exclude(state=Candidate.State.APPROVED).select_related("article"))
        created = curation.approve_candidates(pending, kind)
        for c in pending:  # each now points at the entity made for it
            self.log_addition(request, c.entity, f"Approved suggested name “{c.name}”.")
            self.log_change(
                request, c, f"Approved as {EntityKind(kind).label.lower()} {c.entity.slug}."
            )
        skipped = queryset.count() - len(pending)
        self.message_user(
            request,
            f"Created {len(created)} {EntityKind(kind).label.lower()}(s): "
            f"{', '.join(e.name for e in created) or 'none'}; every article relinked."
            + (f" {skipped} already approved, skipped." if skipped else ""),
        )

    @admin.action(description="Approve as agency", location=LIST_AND_FORM)
    def approve_as_agency(self, request, queryset):
        self._approve(request, queryset, EntityKind.AGENCY)

    @admin.action(description="Approve as contractor", location=LIST_AND_FORM)
    def approve_as_contractor(self, request, queryset):
        self._approve(request, queryset, EntityKind.CONTRACTOR)

    @admin.action(description="Approve as program", location=LIST_AND_FORM)
    def approve_as_program(self, request, queryset):
        self._approve(request, queryset, EntityKind.PROGRAM)

    @admin.action(description="Approve as alias of the chosen entity", location=LIST_AND_FORM)
    def approve_as_alias(self, request, queryset):
        done, missing = [], []
        for c in queryset.select_related("entity"):
            if c.entity is None:
                missing.append(c.name)
                continue
            curation.approve_candidate_as_alias(c, c.entity)
            self.log_change(
                request, c.entity, f"Added “{c.name}” as an alias (suggested name approved)."
            )
            self.log_change(request, c, f"Approved as an alias of {c.entity.slug}.")
            done.append(c.name)
        if done:
            self.message_user(
                request, f"Approved as aliases: {', '.join(done)}; every article relinked."
            )
        if missing:
            self.message_user(
                request,
                f"No entity chosen for {', '.join(missing)}: open each, choose the entity, "
                "then run this action (or set the state to Approved and save).",
                messages.WARNING,
            )

    @admin.action(description="Reject", location=LIST_AND_FORM)
    def reject(self, request, queryset):
        candidates = list(queryset.exclude(state=Candidate.State.REJECTED))
        n = curation.reject_candidates(candidates)
        for c in candidates:
            self.log_change(request, c, "Rejected; the import will not suggest it again.")
        self.message_user(
            request, f"Rejected {n} suggested name(s); the import will not suggest them again."
        )
