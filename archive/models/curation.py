from django.conf import settings
from django.db import models


class Candidate(models.Model):
    """A candidate entity: a name discovery found that the catalogue lacks, waiting for an
    editor to approve it (as a new entity or an alias) or reject it."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Reason(models.TextChoices):
        DEFINITION = "definition", "Inline definition"
        COMPANY = "company", "Company suffix"
        GOVERNMENT = "government", "Department/Office/Bureau name"
        CONTEXT = "context", "Named by its context (a role, an appositive, a source)"

    name = models.CharField(max_length=300)
    # Case- and punctuation-folded name, so a rejection is remembered across spellings.
    key = models.CharField(max_length=300, unique=True)
    acronym = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    suggested_kind = models.CharField(max_length=20, blank=True)
    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="candidates")
    passage = models.TextField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    entity = models.ForeignKey(
        "Entity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The entity it was approved as, or an alias of.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["state", "name"]
        verbose_name = "candidate entity"
        verbose_name_plural = "candidate entities"

    def __str__(self):
        return self.name


class EntityRedirect(models.Model):
    """The address of an entity merged into another keeps working."""

    old_slug = models.SlugField(max_length=120, unique=True)
    entity = models.ForeignKey("Entity", on_delete=models.CASCADE, related_name="redirects")

    def __str__(self):
        return f"{self.old_slug} → {self.entity.slug}"


class Suppression(models.Model):
    """A catalogue item an editor deleted: the import must not bring it back.

    Keys name the item as the catalogue does: an entity by slug; an alias as
    "entity-slug|name"; a relationship as "subject|kind|object|article"; a program status
    as "program|status|year|article" (slugs throughout)."""

    class What(models.TextChoices):
        ENTITY = "entity", "Entity"
        ALIAS = "alias", "Alias"
        RELATIONSHIP = "relationship", "Relationship"
        STATUS = "status", "Program status"
        ARTICLE = "article", "Article"

    what = models.CharField(max_length=20, choices=What.choices)
    key = models.CharField(max_length=500)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["what", "key"], name="unique_suppression")]
        ordering = ["what", "key"]

    def __str__(self):
        return f"{self.get_what_display()}: {self.key}"

    @staticmethod
    def key_for(*parts) -> str:
        """The key of a catalogue item from its parts (slugs, kind, name, year)."""
        return "|".join("" if p is None else str(p) for p in parts)

    @classmethod
    def of(cls, obj) -> tuple[str, str] | None:
        """(what, key) naming `obj` as the import does; None for what it cannot re-create."""
        from .articles import Article
        from .entities import Alias, Entity, ProgramStatus
        from .links import Relationship

        if isinstance(obj, Article):
            # Its identity, never its slug; one an editor added has none, and no import
            # brings it back.
            return (cls.What.ARTICLE, obj.source_key) if obj.source_key else None
        if isinstance(obj, Entity):
            return cls.What.ENTITY, cls.key_for(obj.slug)
        if isinstance(obj, Alias):
            # An editor's own alias no import brings back, unless its entity took in others
            # by a merge: the catalogue gives a merged entity's names to the one it became
            # (and the merge made them editors' aliases).
            if obj.origin != Alias.Origin.CATALOGUE and not obj.entity.redirects.exists():
                return None
            return cls.What.ALIAS, cls.key_for(obj.entity.slug, obj.name)
        if isinstance(obj, Relationship):
            return cls.What.RELATIONSHIP, cls.key_for(
                obj.subject.slug, obj.kind, obj.object.slug, obj.article.slug
            )
        if isinstance(obj, ProgramStatus):
            return cls.What.STATUS, cls.key_for(
                obj.program.slug, obj.status, obj.year, obj.article.slug
            )
        return None


class ArchiveState(models.Model):
    """One row: when the archive's public content last changed (an import, an editor's
    save, a relink). Pages answer conditional requests from it without rendering."""

    changed = models.DateTimeField()

    def __str__(self):
        return f"Archive last changed {self.changed:%Y-%m-%d %H:%M:%S}"


class RelinkJob(models.Model):
    """Relinking every article, which an editor's change of names asks for, run outside the
    request (`manage.py relink`): at 100,000 articles it takes longer than a request may."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    reason = models.CharField(max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    result = models.TextField(blank=True, help_text="What the relink changed, or why it failed.")
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # Whether the editor who asked has been told it finished (once, on their next admin page).
    announced = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "relink job"

    def __str__(self):
        return f"Relink #{self.pk} ({self.get_status_display().lower()}): {self.reason}"
