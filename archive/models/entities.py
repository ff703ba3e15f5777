from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .curated import Curated

ENTITY_CURATED_FIELDS = ("name", "acronym", "description", "parent", "parent_source", "status")


class EntityKind(models.TextChoices):
    AGENCY = "agency", "Agency"
    CONTRACTOR = "contractor", "Contractor"
    PROGRAM = "program", "Program"
    ORGANIZATION = "organization", "Organization"

    @property
    def plural(self):
        return {
            "agency": "agencies",
            "contractor": "contractors",
            "program": "programs",
            "organization": "organizations",
        }[self.value]

    @classmethod
    def from_plural(cls, plural):
        return {k.plural: k for k in cls}.get(plural)


class EntityQuerySet(models.QuerySet):
    def with_article_counts(self):
        """Annotate how many articles name each entity (rejected mentions excluded)."""
        from .links import Mention

        # One mention row per (article, entity), so counting rows counts articles.
        return self.annotate(
            article_count=models.Count("mentions", filter=Mention.visible_q("mentions__"))
        )


class Entity(Curated):
    """Shared by agencies, contractors and programs (multi-table inheritance), so mentions,
    relationships, facets and co-mention counts are one table and one query each."""

    kind = models.CharField(
        max_length=20, choices=EntityKind.choices, db_index=True, editable=False
    )
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    acronym = models.CharField(
        max_length=40, blank=True, help_text="Matched case-sensitively: ICE never matches “ice”."
    )
    description = models.TextField(blank=True)
    # Where each sentence of the description comes from: [{"text", "article", "quote"}],
    # the article by slug and the quote its whole sentence(s); shown as footnotes.
    description_sources = models.JSONField(default=list, blank=True)
    reviewed = models.BooleanField(default=False, help_text="An editor has checked this entry.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    KIND = ""  # set by each subclass

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"

    def __str__(self):
        return (
            f"{self.name} ({self.acronym})"
            if self.acronym and self.acronym != self.name
            else self.name
        )

    def save(self, *args, **kwargs):
        if not self.kind and self.KIND:
            self.kind = self.KIND  # each subclass sets its kind
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("entity", args=[self.kind_plural, self.slug])

    @property
    def short_name(self):
        return self.acronym or self.name

    @property
    def kind_plural(self):
        return EntityKind(self.kind).plural

    def names(self):
        """Every name this entity goes by, as (text, case_sensitive) pairs."""
        out = [(self.name, False)]
        if self.acronym:
            out.append((self.acronym, True))
        out += [(a.name, a.case_sensitive) for a in self.aliases.all()]
        return out


class Agency(Entity):
    KIND = EntityKind.AGENCY
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # Where "part of" is stated: {"article", "quote"} (located at import with the article's
    # "title" and "paragraph") or, where no article says it, a public record {"url",
    # "title"} (an organisation chart). The page cites it beside the parent's name.
    parent_source = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def clean(self):
        super().clean()
        if self.parent_source not in ({}, None) and not parent_source_kind(self.parent_source):
            raise ValidationError(
                {
                    "parent_source": 'Give {"url": "https://...", "title": "..."} (a public '
                    'record) or {"article": "<slug>", "quote": "<its sentence>"}.'
                }
            )


def parent_source_kind(source) -> str:
    """What an agency's parent_source cites: "record" (a public record: an http(s) "url" and
    a "title"), "article" (an "article" slug and its "quote"), or "" (neither: not a source,
    never linked). The one rule the admin, the import and the page read."""
    if not isinstance(source, dict):
        return ""

    def given(key):
        return isinstance(source.get(key), str) and source[key] != ""

    if given("url") and given("title") and source["url"].startswith(("https://", "http://")):
        return "record"
    if given("article") and given("quote"):
        return "article"
    return ""


class Contractor(Entity):
    KIND = EntityKind.CONTRACTOR

    class Meta:
        ordering = ["name"]


class Organization(Entity):
    """Watchdogs, advocacy groups, news outlets, legislatures and courts: who reports on,
    oversees or rules on the agencies and their suppliers, but sells them nothing."""

    KIND = EntityKind.ORGANIZATION

    class Meta:
        ordering = ["name"]


class ProgramStatusChoice(models.TextChoices):
    """Facts about a program's life, never opinions about it (a program thought illegal is
    still active or ended)."""

    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    ENDED = "ended", "Ended"


def derived_status(claims) -> str:
    """The current status a sourced history gives: its latest claim, dated claims by year and
    an undated one after them (it is known only to come after what it follows), each in the
    order the history lists it. `claims`: (status, year) pairs in catalogue order."""
    ordered = sorted(enumerate(claims), key=lambda nc: (nc[1][1] is None, nc[1][1] or 0, nc[0]))
    return ordered[-1][1][0] if ordered else ""


class Program(Entity):
    KIND = EntityKind.PROGRAM
    Status = ProgramStatusChoice
    # Derived from the status history (derived_status) whenever there is one, so the page's
    # header and its history never disagree; an editor sets it only for a program without one.
    status = models.CharField(max_length=20, choices=ProgramStatusChoice.choices, blank=True)

    class Meta:
        ordering = ["name"]


class ProgramStatus(models.Model):
    """One sourced claim about a program's status in a year."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="status_history")
    status = models.CharField(max_length=20, choices=ProgramStatusChoice.choices)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the status applies to, when not the whole program.",
    )
    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="+")
    quote = models.TextField()

    class Meta:
        ordering = [models.F("year").asc(nulls_last=True), "id"]
        verbose_name_plural = "program statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "status", "year", "article"], name="unique_program_status"
            )
        ]

    def __str__(self):
        return f"{self.program}: {self.get_status_display()} {self.year or ''}".strip()


class Alias(models.Model):
    class Origin(models.TextChoices):
        CATALOGUE = "catalogue", "Catalogue"
        EDITOR = "editor", "Editor"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)
    case_sensitive = models.BooleanField(
        default=False, help_text="Acronyms and short forms such as AWS match only in this case."
    )
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.EDITOR)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "aliases"
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="unique_alias_per_entity")
        ]

    def __str__(self):
        return self.name
