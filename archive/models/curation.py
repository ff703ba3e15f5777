from django.db import models


class Candidate(models.Model):
    """A name the linker found that the catalogue lacks, waiting for an editor."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Reason(models.TextChoices):
        DEFINITION = "definition", "Inline definition"
        COMPANY = "company", "Company suffix"
        GOVERNMENT = "government", "Department/Office/Bureau name"

    name = models.CharField(max_length=300)
    # Case- and punctuation-folded name, so a rejection is remembered across spellings.
    key = models.CharField(max_length=300, unique=True)
    acronym = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    suggested_kind = models.CharField(max_length=20, blank=True)
    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="candidates")
    passage = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
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
        ordering = ["status", "name"]

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

    what = models.CharField(max_length=20, choices=What.choices)
    key = models.CharField(max_length=500)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["what", "key"], name="unique_suppression")]
        ordering = ["what", "key"]

    def __str__(self):
        return f"{self.get_what_display()}: {self.key}"
