from django.contrib import admin
from django.db.models import Count

from .. import curation
from ..models import Article, Candidate, Mention, ProgramStatus, Relationship
from .base import LIST_AND_FORM, VISIBLE, CurationAdmin, EditedFilter, MentionInline

PROVENANCE = ["edited_fields", "entity_text", "seed_file", "seed_line", "content_hash"]
# The rows that only speak of an article, deleted with it whatever an editor may delete
# on its own (a mention the linker found, for one, can only be rejected).
GOES_WITH = (Mention, Relationship, ProgramStatus, Candidate)


class ArticleMentionInline(MentionInline):
    fk_name, other = "article", "entity"
    verbose_name_plural = "entities named (deleting one the linker found rejects it)"


@admin.register(Article)
class ArticleAdmin(CurationAdmin):
    save_action = staticmethod(curation.save_article)
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
        ("Curation and provenance", {"fields": [*PROVENANCE, "created", "updated"]}),
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
        # The slug is the article's public address (links and citations must keep
        # working), and the body is the seed's text: an editor curates the facts around it
        # (curation says which are fixed).
        always = [*PROVENANCE, "created", "updated"]
        return always if obj is None else [*curation.fixed_fields(obj), *always]

    def get_deleted_objects(self, objs, request):
        # Deleting an article is remembered (curation.delete_items), so the import brings
        # back neither it nor the rows that go with it.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed -= {model._meta.verbose_name for model in GOES_WITH}
        return deleted, counts, perms_needed, protected

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ["title"]} if obj is None else {}

    @admin.action(
        description="Run the linker again on the selected articles", location=LIST_AND_FORM
    )
    def relink(self, request, queryset):
        self.report(request, curation.relink_selected(queryset, request.user))
