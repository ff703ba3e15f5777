from django.db import models


class MentionQuerySet(models.QuerySet):
    def visible(self):
        return self.exclude(state=Mention.State.REJECTED)


class Mention(models.Model):
    """An article names an entity: how often and where (character offsets into the body)."""

    class Origin(models.TextChoices):
        LINKER = "linker", "Found by the linker"
        EDITOR = "editor", "Added by an editor"

    class State(models.TextChoices):
        AUTO = "auto", "Automatic"
        CONFIRMED = "confirmed", "Confirmed by an editor"
        REJECTED = "rejected", "Rejected by an editor"

    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="mentions")
    entity = models.ForeignKey("Entity", on_delete=models.CASCADE, related_name="mentions")
    count = models.PositiveIntegerField(default=0)
    # [[start, end], ...] into article.body; empty for an editor's mention the text never spells.
    spans = models.JSONField(default=list, blank=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.LINKER)
    state = models.CharField(max_length=20, choices=State.choices, default=State.AUTO)

    objects = MentionQuerySet.as_manager()

    class Meta:
        ordering = ["-count", "id"]
        constraints = [models.UniqueConstraint(fields=["article", "entity"], name="unique_mention")]
        indexes = [
            models.Index(fields=["entity", "article"]),
            # Facets and entity filters only ever read visible mentions.
            models.Index(
                fields=["article", "entity"],
                condition=~models.Q(state="rejected"),
                name="archive_mention_visible",
            ),
        ]

    def __str__(self):
        return f"{self.entity} in {self.article} ×{self.count}"


class RelationshipKind(models.TextChoices):
    PART_OF = "part_of", "is part of"
    OPERATES = "operates", "operates"
    SUPPLIES = "supplies", "supplies"
    SELLS_TO = "sells_to", "sells to"
    RESELLS_FOR = "resells_for", "resells for"
    OWNS = "owns", "owns"
    FUNDS = "funds", "funds"
    OVERSEES = "oversees", "oversees"
    INVESTIGATES = "investigates", "investigates"
    USES = "uses", "uses"
    CONTRACTS_WITH = "contracts_with", "holds a contract with"


class Relationship(models.Model):
    """A typed, sourced edge: subject —kind→ object, citing the sentence that says so."""

    Kind = RelationshipKind

    subject = models.ForeignKey(
        "Entity", on_delete=models.CASCADE, related_name="relationships_out"
    )
    kind = models.CharField(max_length=30, choices=RelationshipKind.choices)
    object = models.ForeignKey("Entity", on_delete=models.CASCADE, related_name="relationships_in")
    amount = models.CharField(max_length=100, blank=True)
    period = models.CharField(max_length=100, blank=True)
    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="relationships")
    quote = models.TextField(help_text="The exact sentence in the article that states this.")
    edited = models.BooleanField(default=False, help_text="Set or changed by an editor.")

    class Meta:
        ordering = ["subject__name", "kind", "object__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "kind", "object", "article"], name="unique_relationship"
            )
        ]

    def __str__(self):
        return f"{self.subject.short_name} {self.get_kind_display()} {self.object.short_name}"
