from django.db import models

from .curated import Curated


class MentionQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(Mention.visible_q())


class MentionState(models.TextChoices):
    AUTO = "auto", "Automatic"
    CONFIRMED = "confirmed", "Confirmed by an editor"
    REJECTED = "rejected", "Rejected by an editor"


VISIBLE_STATES = [s for s in MentionState if s != MentionState.REJECTED]


def _visible_q(prefix: str = "") -> models.Q:
    # Positive ("auto or confirmed"), not ~Q(state=rejected): across a multi-valued relation
    # (prefix "mentions__") Django reads a negation as "has no rejected mention at all".
    return models.Q(**{f"{prefix}state__in": VISIBLE_STATES})


class Mention(models.Model):
    """An article names an entity: how often and where (character offsets into the body)."""

    class Origin(models.TextChoices):
        LINKER = "linker", "Found by the linker"
        EDITOR = "editor", "Added by an editor"

    State = MentionState

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
                condition=~models.Q(state=MentionState.REJECTED),  # = VISIBLE_SQL
                name="archive_mention_visible",
            ),
        ]

    def __str__(self):
        return f"{self.entity} in {self.article} ×{self.count}"

    # A visible mention is one an editor has not rejected: pages, search, facets and counts
    # read only these. The one definition, as a Q (ORM) and as SQL (the search engines,
    # in the form the partial index archive_mention_visible is declared with).
    VISIBLE_SQL = "{alias}state <> 'rejected'"

    # `prefix` reaches the mention through a relation, e.g. "mentions__".
    visible_q = staticmethod(_visible_q)

    @classmethod
    def visible_sql(cls, alias: str = "") -> str:
        return cls.VISIBLE_SQL.format(alias=f"{alias}." if alias else "")


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
    SETTLED_WITH = "settled_with", "reached a settlement with"


class RelationshipContext(models.TextChoices):
    """Where the quote's article names the parties the quote itself leaves unnamed."""

    SENTENCE = "", "the quote"
    PARAGRAPH = "paragraph", "the quote's paragraph"
    PREVIOUS_PARAGRAPH = "previous paragraph", "the paragraph before the quote"


class Relationship(Curated):
    """A typed, sourced edge: subject —kind→ object, citing the sentence that says so."""

    Kind = RelationshipKind
    # What the catalogue writes on an existing relationship (its ends and article identify it).
    IMPORTED_FIELDS = ("amount", "period", "quote", "second_quote", "collective", "context")
    Context = RelationshipContext

    subject = models.ForeignKey(
        "Entity", on_delete=models.CASCADE, related_name="relationships_out"
    )
    kind = models.CharField(max_length=30, choices=RelationshipKind.choices)
    object = models.ForeignKey("Entity", on_delete=models.CASCADE, related_name="relationships_in")
    amount = models.CharField(max_length=100, blank=True)
    period = models.CharField(max_length=100, blank=True)
    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="relationships")
    quote = models.TextField(help_text="The exact sentence in the article that states this.")
    second_quote = models.TextField(
        blank=True,
        help_text="Another whole sentence of the same article, where the amount or period "
        "the quote does not state is stated.",
    )
    collective = models.BooleanField(
        default=False,
        help_text="The sentence speaks of several parties together (“these companies … via "
        "companies like …”) and does not say which of them did this with which.",
    )
    context = models.CharField(
        max_length=20,
        choices=RelationshipContext.choices,
        blank=True,
        help_text="Where the article names a party the quote refers to only as “the company”, "
        "“these agencies”…",
    )

    class Meta:
        ordering = ["subject__name", "kind", "object__name"]
        constraints = [
            # One claim: the same pair, kind and article with another amount or period is
            # another claim (a merge keeps both), the same with other words is not.
            models.UniqueConstraint(
                fields=["subject", "kind", "object", "article", "amount", "period"],
                name="unique_relationship_claim",
            )
        ]

    def __str__(self):
        return f"{self.subject.short_name} {self.get_kind_display()} {self.object.short_name}"
