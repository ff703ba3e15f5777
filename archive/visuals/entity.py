"""What an entity's page adds in pictures (templates/archive/_entity_visuals.html): the map
of its direct relationships, and the articles that name it, year by year.

The chart reads the per-year counts the page's summary already holds
(selectors.entity_summary, kept until the archive changes): no query of its own.
"""

from dataclasses import dataclass

from .. import selectors
from ..models import Entity
from .charts import BarChart
from .graph import Graph, neighbourhood
from .timeline import year_chart


@dataclass
class EntityVisuals:
    entity: Entity
    graph: Graph | None  # None when it has no relationship
    chart: BarChart | None  # None when no dated article names it
    years: list[selectors.YearCount]  # the dated years that name it, oldest first
    undated: int  # articles with no known date that name it


def entity_visuals(entity: Entity, version, summary=None) -> dict:
    """The partial's context: {"visuals": EntityVisuals}. Pass the page's `summary`
    (selectors.entity_summary) when it is at hand, so it is not computed twice."""
    if summary is None:
        summary = selectors.entity_summary(entity, version)
    years = [y for y in summary.timeline if y.year is not None]
    undated = sum(y.count for y in summary.timeline if y.year is None)
    graph = neighbourhood(entity, version)
    return {
        "visuals": EntityVisuals(
            entity,
            graph if graph.edges else None,
            year_chart([(y.year, y.count) for y in years], f"years-{entity.pk}"),
            years,
            undated,
        )
    }
