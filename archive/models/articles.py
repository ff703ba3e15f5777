from django.db import models
from django.urls import reverse

from .curated import Curated

# Fields an editor may change in the admin; a re-import never overwrites one an editor set.
ARTICLE_CURATED_FIELDS = ("title", "published", "publication", "source_url", "dept", "facts_note")


class ArticleQuerySet(models.QuerySet):
    def newest_first(self):
        return self.order_by(models.F("published").desc(nulls_last=True), "-id")


class Article(Curated):
    title = models.CharField(max_length=400)
    slug = models.SlugField(max_length=200, unique=True)
    body = models.TextField(help_text="Plain text, one paragraph per line.")
    published = models.DateField(null=True, blank=True, db_index=True)
    publication = models.CharField(max_length=200, blank=True, db_index=True)
    source_url = models.URLField(max_length=500, blank=True)
    dept = models.CharField("dept line", max_length=300, blank=True)
    facts_note = models.CharField(
        max_length=500,
        blank=True,
        help_text="Caveats about the facts above, e.g. an uncertain date.",
    )
    # Provenance: where the text came from, so a re-import can recognise it.
    seed_file = models.CharField(max_length=300, blank=True)
    seed_line = models.PositiveIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Identity: what makes two imports the same article. The source address when there is
    # one, else the seed file and the text; never the slug, which is only presentation.
    # Unique where set (the constraint below); NULL until the importer has keyed it.
    source_key = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    # What the import last stored (a hash of every imported field: archive.ingest.importer
    # import_hash) and which catalogue the mentions were last linked with (the linker's
    # version: archive.ingest.linking.linker_version). A re-import skips an article whose
    # both still match, before any other work. Nullable, with no default: a plain ADD COLUMN
    # (on SQLite anything else rebuilds the table and drops the full-text triggers).
    import_hash = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    linked_with = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    # Names of the linked entities (name, acronym, aliases), written by the linker so
    # the search index can weigh entity matches above body matches.
    entity_text = models.TextField(blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = [models.F("published").desc(nulls_last=True), "-id"]
        constraints = [
            # A partial unique index, not unique=True: on SQLite a unique column makes Django
            # rebuild the table, which drops the full-text index's triggers.
            models.UniqueConstraint(
                fields=["source_key"],
                condition=models.Q(source_key__isnull=False),
                name="unique_article_source",
            )
        ]
        indexes = [
            # Covers what search filters, sorts and facets read, so they never touch the row
            # (on SQLite the row holds the body, read through its overflow pages).
            models.Index(fields=["id", "published", "publication"], name="archive_article_facts"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("article", args=[self.slug])

    @property
    def paragraphs(self):
        return [p for p in self.body.split("\n") if p.strip()]
