"""What a search takes (Filters) and gives (Results, Hit, FacetValue): plain data."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from ..models import Article, Entity, Mention
from .query import Query

SORTS = ("relevance", "newest", "oldest")


class PageOutOfRange(Exception):
    pass


class SearchTimeout(Exception):
    """The search ran past settings.SEARCH_TIMEOUT_MS and was stopped (PostgreSQL's
    statement_timeout, SQLite's progress handler): the page says so instead of a worker
    staying stuck on one pathological query."""


@dataclass
class Filters:
    entity_ids: dict[str, list[int]] = field(default_factory=dict)  # kind -> ids (any of)
    published_after: dt.date | None = None
    published_before: dt.date | None = None
    publication: str = ""
    # Articles already placed on the page by an earlier tier (service.entity_first).
    exclude_ids: tuple[int, ...] = ()

    def sql(self, alias: str = "a", drive: bool = False) -> tuple[str, list]:
        """A WHERE fragment over the article table `alias` (always true when empty).

        With `drive`, the first entity facet is written as `id IN (its mentions)`, so a
        query with no text starts from the mention index instead of every article."""
        parts, params = ["1=1"], []
        if self.published_after:
            parts.append(f"{alias}.published >= %s")
            params.append(self.published_after)
        if self.published_before:
            parts.append(f"{alias}.published <= %s")
            params.append(self.published_before)
        if self.publication:
            parts.append(f"{alias}.publication = %s")
            params.append(self.publication)
        for ids in self.entity_ids.values():
            if ids:
                marks = ", ".join(["%s"] * len(ids))
                if drive:
                    drive = False
                    parts.append(
                        f"{alias}.id IN (SELECT article_id FROM archive_mention "
                        f"WHERE {Mention.visible_sql()} AND entity_id IN ({marks}))"
                    )
                    params += ids
                    continue
                # EXISTS probes the (article, entity) index per candidate row; IN would first
                # list every article of a big entity.
                parts.append(
                    f"EXISTS (SELECT 1 FROM archive_mention fm WHERE fm.article_id = {alias}.id "
                    f"AND {Mention.visible_sql('fm')} AND fm.entity_id IN ({marks}))"
                )
                params += ids
        if self.exclude_ids:
            parts.append(f"{alias}.id NOT IN ({', '.join(['%s'] * len(self.exclude_ids))})")
            params += list(self.exclude_ids)
        return " AND ".join(parts), params

    @property
    def active(self) -> bool:
        return bool(
            any(self.entity_ids.values())
            or self.published_after
            or self.published_before
            or self.publication
            or self.exclude_ids
        )


@dataclass
class Hit:
    article: Article
    title_html: SafeString
    snippet_html: SafeString
    entities: list[Entity] = field(default_factory=list)
    matched_entities: list[Entity] = field(default_factory=list)


@dataclass
class FacetValue:
    entity: Entity | None
    label: str
    value: str
    count: int
    selected: bool


@dataclass
class Results:
    query: Query
    total: int
    page: int
    page_size: int
    sort: str
    # When more than `window` articles match, relevance ranking and facet counts cover the
    # `window` most recently added matches (the total stays exact); pages say so.
    window: int = 0
    # Matches older than the window that relevance ranks too, because their title answers
    # the query (see service.title_matches): the best answer is never left out for its age.
    title_ids: list[int] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    publications: list[FacetValue] = field(default_factory=list)
    # Facet values past the first FACET_LIMIT of each kind, for a "show all" (bounded).
    more_facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    entities: list[Entity] = field(default_factory=list)  # entities the query names: cards
    suggestions: list[str] = field(default_factory=list)
    similar_entities: list[Entity] = field(default_factory=list)

    @property
    def windowed(self) -> bool:
        return bool(self.window) and self.total > self.window

    @property
    def rankable(self) -> int:
        """How many results can be paged through in this order."""
        if self.windowed and self.sort == "relevance":
            return self.window + len(self.title_ids)
        return self.total

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.rankable // self.page_size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def start_index(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.hits) - 1 if self.hits else 0
