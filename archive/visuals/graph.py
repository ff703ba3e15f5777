"""The relationship map: which entities and relationships it draws, and where.

Whatever the size of the archive, a map draws at most `nodes` entities (the most connected
in scope) and `edges` relationships among them, and its table lists at most `table` rows:
every relationship drawn, then others in scope. The page says how many are left out; the
filters (a kind of relationship, an entity's neighbourhood) and the relationships CSV reach
them.

The layout is a ring, computed here and nowhere else, with no randomness: entities grouped
by kind (agencies, programs, contractors, organisations) in arcs, each arc most connected
first; an entity's neighbourhood puts the entity in the middle. The same data always gives
the same picture, so pages can be cached and tests can name coordinates.
"""

import math
from dataclasses import dataclass, field

from django.db.models import F, Q

from ..models import Entity, EntityKind, Relationship
from ..selectors import passage_url
from . import queries

MAP_NODES = 40
MAP_EDGES = 80
# At least MAP_EDGES: the table lists every edge drawn (a page of about 150 KB at most).
TABLE_ROWS = 100
# The entities offered by the map's filter: the most connected, so the form stays small.
ENTITY_CHOICES = 300
# Edges carry their kind as a label only when few enough to read.
LABELLED_EDGES = 16

# Arcs of the ring, in this order: who is watched, what they run, who sells, who watches.
KIND_ORDER = [
    EntityKind.AGENCY,
    EntityKind.PROGRAM,
    EntityKind.CONTRACTOR,
    EntityKind.ORGANIZATION,
]
LABEL_CHARS = 24
# Room beside the ring for a label (12px type: about 6.5px a character).
LABEL_ROOM = 8 + LABEL_CHARS * 6.5
# How far parallel edges between one pair stand apart, and how far an edge between two
# entities on the ring bends toward the middle (a chord diagram's curve: edges bunch less).
SPREAD = 22.0
BEND = 0.3


@dataclass
class Node:
    entity: Entity
    degree: int  # relationships in scope it is an end of
    x: float
    y: float
    r: float
    label: str
    label_x: float
    label_y: float
    anchor: str  # text-anchor: start, middle or end
    centre: bool = False

    @property
    def hit_r(self) -> float:
        """The radius a pointer may click within: a little more than the dot."""
        return self.r + 4


@dataclass
class Edge:
    relationship: Relationship  # a queries.relationship_rows row
    d: str  # the SVG path
    label_x: float
    label_y: float
    href: str  # where it opens: its row in the map's table, or its quote's paragraph


@dataclass
class Graph:
    prefix: str  # of the SVG's element ids, unique on the page
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    node_total: int  # entities in scope (an end of a relationship in scope)
    edge_total: int  # relationships in scope
    labelled: bool

    @property
    def nodes_not_drawn(self) -> int:
        return max(0, self.node_total - len(self.nodes))

    @property
    def edges_not_drawn(self) -> int:
        return max(0, self.edge_total - len(self.edges))


@dataclass
class RelationshipMap:
    kind: str | None
    entity: Entity | None
    graph: Graph
    rows: list[Relationship]  # the table: every edge drawn, then others, at most TABLE_ROWS
    choices: list[Entity] = field(default_factory=list)  # for the entity filter, by name

    @property
    def kind_label(self) -> str:
        return Relationship.Kind(self.kind).label if self.kind else ""

    @property
    def rows_not_listed(self) -> int:
        return max(0, self.graph.edge_total - len(self.rows))


def relationship_map(
    kind: str | None,
    entity: Entity | None,
    version,
    *,
    nodes: int | None = None,
    edges: int | None = None,
    table: int | None = None,
    choices: int | None = None,
    prefix: str = "map",
    link=None,
) -> RelationshipMap:
    """The map of the relationships of `kind` (any, if None) and, with `entity`, of those
    it is an end of (its neighbourhood). The limits default to the module's (read at each
    call); `link(relationship)`: where an edge opens (its table row by default)."""
    nodes = MAP_NODES if nodes is None else nodes
    edges = MAP_EDGES if edges is None else edges
    table = TABLE_ROWS if table is None else table
    choices = ENTITY_CHOICES if choices is None else choices
    degrees = queries.relationship_degrees(version)

    def degree(pk: int) -> int:
        kinds = degrees.get(pk, {})
        return kinds.get(kind, 0) if kind else sum(kinds.values())

    if entity is not None:
        around = queries.neighbours(entity.pk, kind, version)
        ranked = sorted(around, key=lambda pk: (-around[pk], -degree(pk), pk))
        chosen = [entity.pk, *ranked[: max(nodes - 1, 0)]]
        in_scope = len(around) + 1 if around else 0
        weight = {entity.pk: sum(around.values()), **around}
    else:
        weight = {pk: degree(pk) for pk in degrees}
        weight = {pk: n for pk, n in weight.items() if n}
        chosen = sorted(weight, key=lambda pk: (-weight[pk], pk))[:nodes]
        in_scope = len(weight)
    offered = sorted(degrees, key=lambda pk: (-sum(degrees[pk].values()), pk))[:choices]
    wanted = set(chosen) | set(offered) | ({entity.pk} if entity else set())
    entities = Entity.objects.only(*queries.ENTITY_FIELDS).in_bulk(wanted)

    scope = Relationship.objects.all()
    if kind:
        scope = scope.filter(kind=kind)
    if entity is not None:
        scope = scope.filter(Q(subject=entity) | Q(object=entity))
    order = ("subject__name", "kind", "object__name", "id")
    drawn_ids = [pk for pk in chosen if pk in entities]
    drawn = list(
        queries.relationship_rows(
            scope.filter(subject_id__in=drawn_ids, object_id__in=drawn_ids).exclude(
                subject=F("object")
            )
        ).order_by(*order)[:edges]
    )
    rest = table - len(drawn)
    others = (
        list(
            queries.relationship_rows(scope.exclude(pk__in=[r.pk for r in drawn])).order_by(*order)[
                :rest
            ]
        )
        if rest > 0
        else []
    )
    total = scope.count()

    node_list = [
        (entities[pk], weight.get(pk, 0), entity is not None and pk == entity.pk)
        for pk in drawn_ids
    ]
    if link is None:

        def link(r):
            return f"#rel-{r.pk}"

    graph = layout(node_list, drawn, prefix, in_scope, total, link)
    rows = sorted([*drawn, *others], key=lambda r: (r.subject.name, r.kind, r.object.name, r.pk))
    for r in rows:
        r.quote_shown = queries.shown_quote(r)
    if choices and entity is not None and entity.pk not in offered:
        offered.append(entity.pk)  # the chosen entity is always among the choices
    return RelationshipMap(
        kind,
        entity,
        graph,
        rows if table else [],
        sorted(
            (entities[pk] for pk in offered if pk in entities),
            key=lambda e: (e.name.casefold(), e.pk),
        ),
    )


def neighbourhood(entity: Entity, version, *, nodes: int = 13) -> Graph:
    """An entity's direct relationships, small, for its page: each edge opens the
    paragraph of the article its quote is in (the map's table lists at most its first
    rows, so an anchor there could be missing for an entity with many relationships)."""
    return relationship_map(
        None,
        entity,
        version,
        nodes=nodes,
        edges=LABELLED_EDGES * 2,
        table=0,
        choices=0,
        prefix=f"nbhd-{entity.pk}",
        link=lambda r: passage_url(r.article.slug, r.paragraph),
    ).graph


# -- layout ----------------------------------------------------------------------------------
def layout(nodes, relationships, prefix, node_total, edge_total, link) -> Graph:
    """Place `nodes` ((entity, degree, is the centre) triples, most connected first) on a
    ring, the centre (if any) in the middle, and draw `relationships` between them."""
    centre = next((n for n in nodes if n[2]), None)
    ring = [n for n in nodes if not n[2]]
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    # Grouped by kind, each group in the order given (most connected first); stable sort.
    ring.sort(key=lambda n: rank.get(n[0].kind, len(rank)))
    groups = len({n[0].kind for n in ring})
    # A slot's gap between arcs, so the kinds read as groups.
    slots = len(ring) + (groups if groups > 1 else 0)
    # About 26 units of ring per slot; a neighbourhood's spokes need room for their labels.
    smallest = 150.0 if centre is not None else 110.0
    radius = max(smallest, min(270.0, 26.0 * slots / math.pi)) if ring else 0.0
    cx = round(radius + LABEL_ROOM)
    cy = round(radius + 34)
    placed: list[Node] = []
    if centre is not None:
        entity, degree, _ = centre
        placed.append(
            Node(entity, degree, cx, cy, 14.0, _label(entity), cx, cy + 30, "middle", True)
        )
    slot, previous_kind = 0, None
    for entity, degree, _ in ring:
        if previous_kind is not None and entity.kind != previous_kind and groups > 1:
            slot += 1
        previous_kind = entity.kind
        angle = -math.pi / 2 + 2 * math.pi * slot / max(slots, 1)
        slot += 1
        cos, sin = math.cos(angle), math.sin(angle)
        r = min(4.0 + 2.0 * math.sqrt(degree), 13.0)
        x, y = cx + radius * cos, cy + radius * sin
        out = radius + r + 6
        anchor = "start" if cos > 0.1 else "end" if cos < -0.1 else "middle"
        # Below the ring a label hangs under its node; above, it sits over it.
        label_y = cy + out * sin + (4 if anchor != "middle" else (14 if sin > 0 else -2))
        placed.append(
            Node(
                entity,
                degree,
                _r(x),
                _r(y),
                r,
                _label(entity),
                _r(cx + out * cos),
                _r(label_y),
                anchor,
            )
        )
    at = {n.entity.pk: n for n in placed}
    edges = _edges(relationships, at, (cx, cy), link)
    return Graph(
        prefix,
        int(2 * cx),
        int(2 * cy),
        placed,
        edges,
        node_total,
        edge_total,
        len(edges) <= LABELLED_EDGES,
    )


def _edges(relationships, at: dict[int, Node], middle, link) -> list[Edge]:
    """A quadratic curve per relationship, from the subject to the object (an arrow at the
    object's end). Several between one pair fan out side by side; between two entities on
    the ring a curve bends toward the middle; from the centre it goes straight out."""
    pairs: dict[tuple[int, int], list[Relationship]] = {}
    for r in relationships:
        if r.subject_id in at and r.object_id in at:
            pairs.setdefault(tuple(sorted((r.subject_id, r.object_id))), []).append(r)
    out = []
    for (low, high), group in pairs.items():
        a, b = at[low], at[high]
        dx, dy = b.x - a.x, b.y - a.y
        length = math.hypot(dx, dy) or 1.0
        px, py = -dy / length, dx / length  # perpendicular to low -> high
        bend = 0.0 if a.centre or b.centre else BEND
        mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
        mx, my = mx + (middle[0] - mx) * bend, my + (middle[1] - my) * bend
        for k, r in enumerate(group):
            offset = (k - (len(group) - 1) / 2) * SPREAD
            qx, qy = mx + px * offset, my + py * offset
            start, end = at[r.subject_id], at[r.object_id]
            x1, y1 = _towards(start, qx, qy, start.r)
            x2, y2 = _towards(end, qx, qy, end.r + 3)  # room for the arrowhead
            d = f"M{_r(x1)} {_r(y1)} Q{_r(qx)} {_r(qy)} {_r(x2)} {_r(y2)}"
            # The label: at the curve's midpoint, or on a spoke two thirds of the way out,
            # where the spokes have spread apart.
            t = 0.5 if not (start.centre or end.centre) else (0.68 if start.centre else 0.32)
            lx, ly = _point(t, (x1, y1), (qx, qy), (x2, y2))
            out.append(Edge(r, d, _r(lx), _r(ly), link(r)))
    out.sort(key=lambda e: e.relationship.pk)
    return out


def _point(t: float, p0, p1, p2) -> tuple[float, float]:
    """The point at t of the quadratic Bézier curve p0 p1 p2."""
    a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
    return a * p0[0] + b * p1[0] + c * p2[0], a * p0[1] + b * p1[1] + c * p2[1]


def _towards(node: Node, x: float, y: float, distance: float) -> tuple[float, float]:
    """The point `distance` from the node's centre toward (x, y): where a curve leaves it."""
    dx, dy = x - node.x, y - node.y
    length = math.hypot(dx, dy)
    if length < 1e-6:
        return node.x, node.y
    return node.x + dx / length * distance, node.y + dy / length * distance


def _label(entity: Entity) -> str:
    text = entity.short_name
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def _r(value: float) -> float:
    """One decimal: the page's bytes stay small and the same on every machine."""
    return round(value, 1)
