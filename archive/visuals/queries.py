"""The aggregates behind the map and the timeline. Each function makes a fixed number of
queries whatever the size of the archive; the ones whose answer grows with the catalogue
(a row per entity) are computed once per change of the archive (state.remember)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Q, Value
from django.db.models.functions import Left, Length, Replace, StrIndex, Substr

from .. import selectors, state
from ..models import Entity, Mention, Relationship

# What the map's table shows of a quote: a quote is one sentence, but an editor may paste
# more, and a page of 200 rows must stay small whatever they paste.
QUOTE_CHARS = 500


# -- the relationship map ------------------------------------------------------------------
def relationship_degrees(version) -> dict[int, dict[str, int]]:
    """{entity id: {relationship kind: relationships it is an end of}}: two GROUP BY queries
    (as subject, as object), a row per entity and kind, once per change of the archive."""

    def compute():
        out: dict[int, dict[str, int]] = {}
        for end in ("subject", "object"):
            rows = Relationship.objects.values_list(end, "kind").annotate(n=Count("id"))
            for entity_id, kind, n in rows.order_by():
                kinds = out.setdefault(entity_id, {})
                kinds[kind] = kinds.get(kind, 0) + n
        return out

    return state.remember("visuals-degrees", compute, version)


def neighbours(entity_id: int, kind: str | None, version) -> dict[int, int]:
    """{entity id: relationships it has with `entity_id`} (of `kind`, if given): the
    entity's direct neighbourhood, two GROUP BY queries once per change of the archive."""

    def compute():
        rows = Relationship.objects.filter(kind=kind) if kind else Relationship.objects.all()
        out: dict[int, int] = {}
        for mine, other in (("subject", "object"), ("object", "subject")):
            pairs = rows.filter(**{mine: entity_id}).values_list(other).annotate(n=Count("id"))
            for other_id, n in pairs.order_by():
                if other_id != entity_id:  # a relationship with itself draws no edge
                    out[other_id] = out.get(other_id, 0) + n
        return out

    return state.remember(f"visuals-neighbours:{entity_id}:{kind or ''}", compute, version)


def relationship_rows(relationships):
    """`relationships` with what a row of the map's table shows: both ends, the article's
    title and address, the start of the quote (.quote_start) and the paragraph it is in
    (.paragraph, the article's #p-N anchor).

    The paragraph is counted in the database (the newlines before the quote), so the
    article's body never leaves it: the importer writes one paragraph per line, as
    selectors.paragraph_index reads it; a quote not found gives the first paragraph, as there.
    """
    at = StrIndex("article__body", F("quote"))
    before = Substr("article__body", 1, at)
    return (
        relationships.select_related("subject", "object", "article")
        .only(
            "id",
            "kind",
            "amount",
            "period",
            "collective",
            "context",
            *(f"{end}__{f}" for end in ("subject", "object") for f in ENTITY_FIELDS),
            "article__slug",
            "article__title",
            "article__published",
        )
        .annotate(
            quote_start=Left("quote", QUOTE_CHARS + 1),
            quote_length=Length("quote"),
            paragraph=Value(1, output_field=IntegerField())
            + Length(before)
            - Length(Replace(before, Value("\n"), Value(""))),
        )
    )


ENTITY_FIELDS = ("id", "name", "slug", "acronym", "kind")


def shown_quote(row) -> str:
    """The quote as the table shows it: whole, or its first QUOTE_CHARS characters and …"""
    if row.quote_length <= QUOTE_CHARS:
        return row.quote_start
    return row.quote_start[:QUOTE_CHARS].rstrip() + "…"


# -- the timeline ------------------------------------------------------------------------------
def articles_by_month(version) -> tuple[dict[tuple[int, int], int], int]:
    """({(year, month): articles published in it}, articles with no known date).

    By month here from the archive's per-day counts (selectors.archive_days, which the
    years read too): extracting the month in SQL would call a function per row on SQLite.
    """
    months: dict[tuple[int, int], int] = {}
    undated = 0
    for day, n in selectors.archive_days(version):
        if day is None:
            undated += n
        else:
            months[(day.year, day.month)] = months.get((day.year, day.month), 0) + n
    return months, undated


@dataclass
class Change:
    """An entity, how many articles named it in the latest year and in the year before."""

    entity: Entity
    latest: int
    previous: int

    @property
    def change(self) -> int:
        return self.latest - self.previous


@dataclass
class RiseAndFall:
    latest_year: int
    previous_year: int
    rises: list[Change]  # the largest increases first
    falls: list[Change]  # the largest decreases first


CHANGES_SHOWN = 10


def rise_and_fall(version) -> RiseAndFall | None:
    """The entities whose number of articles changed most from one calendar year to the
    next: the year of the newest dated article against the year before it, counting the
    articles published in each that name the entity (undated articles take no part). None
    when no article has a date."""

    def compute():
        years = [y for y in selectors.archive_years(version) if y is not None]
        if not years:
            return None
        latest = max(years)
        start, middle, end = (dt.date(y, 1, 1) for y in (latest - 1, latest, latest + 1))
        rows = (
            Mention.objects.visible()
            .filter(article__published__gte=start, article__published__lt=end)
            .values_list("entity", "entity__name")
            .annotate(
                latest=Count("id", filter=Q(article__published__gte=middle)),
                previous=Count("id", filter=Q(article__published__lt=middle)),
            )
            .order_by()
        )
        counts = {pk: (a, b) for pk, _, a, b in rows}
        names = {pk: name.casefold() for pk, name, _, _ in rows}
        # Largest change first; among equals the most-named, then by name (and id), so a
        # tie never depends on the order a query happens to return.
        up = sorted(
            (pk for pk, (a, b) in counts.items() if a > b),
            key=lambda pk: (counts[pk][1] - counts[pk][0], -counts[pk][0], names[pk], pk),
        )[:CHANGES_SHOWN]
        down = sorted(
            (pk for pk, (a, b) in counts.items() if a < b),
            key=lambda pk: (counts[pk][0] - counts[pk][1], -counts[pk][1], names[pk], pk),
        )[:CHANGES_SHOWN]
        entities = Entity.objects.only(*ENTITY_FIELDS).in_bulk([*up, *down])
        return RiseAndFall(
            latest,
            latest - 1,
            [Change(entities[pk], *counts[pk]) for pk in up if pk in entities],
            [Change(entities[pk], *counts[pk]) for pk in down if pk in entities],
        )

    return state.remember("visuals-rise-and-fall", compute, version)
