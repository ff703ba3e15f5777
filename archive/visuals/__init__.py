"""Pictures of the archive: the relationship map (/map/), the timeline (/timeline/) and an
entity's small map and chart (its page).

- queries.py  the aggregates the pictures read (degrees, neighbours, months, rises and
              falls), each a fixed number of queries, kept until the archive changes
              (state.remember)
- graph.py    which entities and relationships a map draws, and where (a deterministic
              layout: the same data always gives the same picture)
- charts.py   bar-chart geometry (articles per month, an entity's articles per year)

Geometry is computed here as numbers; the templates write the SVG, so every name and quote
from the database is escaped like any other text on the page.
"""

from .entity import entity_visuals

__all__ = ["entity_visuals"]
