"""Bar-chart geometry: numbers in, rectangles and ticks out, for the templates to draw
(templates/archive/_svg_bars.html). Nothing here reads the database."""

from dataclasses import dataclass

# The drawing's own units (the SVG scales to its box): a wide, low chart.
WIDTH = 720
HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 12, 24
# A tick label takes about this much room; closer ticks are thinned out.
TICK_ROOM = 44


@dataclass
class Item:
    """One bar's data: its label ("May 2022", "2021"), count, and the tick text it may
    carry under the axis (None: none)."""

    label: str
    count: int
    tick: str | None = None


@dataclass
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Tick:
    at: float  # x for the horizontal axis, y for the vertical one
    text: str


@dataclass
class BarChart:
    prefix: str  # of the SVG's element ids, unique on the page
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    left: int
    right: int  # where the plot ends on the x axis
    baseline: int  # the y of zero

    @property
    def total(self) -> int:
        return sum(b.count for b in self.bars)

    @property
    def peak(self) -> Bar | None:
        return max(self.bars, key=lambda b: b.count, default=None)


def nice_ceiling(n: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 … that is at least n (at least 1)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= n:
                return step * m
        step *= 10


def bar_chart(items: list[Item], prefix: str, width: int = WIDTH, height: int = HEIGHT):
    """Bars left to right in the order given, the tallest reaching the top of a scale that
    ends on a round number."""
    plot_w = width - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    top = nice_ceiling(max((i.count for i in items), default=0))
    slot = plot_w / max(len(items), 1)
    gap = slot * 0.18 if slot > 3 else 0.0
    bars, x_ticks = [], []
    last_tick = -TICK_ROOM
    for n, item in enumerate(items):
        h = plot_h * item.count / top
        x = LEFT + n * slot
        bars.append(
            Bar(
                item.label,
                item.count,
                _r(x + gap / 2),
                _r(TOP + plot_h - h),
                _r(max(slot - gap, 0.6)),
                _r(h),
            )
        )
        centre = x + slot / 2
        if item.tick is not None and centre - last_tick >= TICK_ROOM:
            x_ticks.append(Tick(_r(centre), item.tick))
            last_tick = centre
    steps = [0, top // 2, top] if top >= 2 and top % 2 == 0 else [0, top]
    y_ticks = [Tick(_r(TOP + plot_h - plot_h * v / top), str(v)) for v in steps]
    return BarChart(
        prefix, width, height, bars, x_ticks, y_ticks, LEFT, width - RIGHT, TOP + plot_h
    )


def _r(value: float) -> float:
    return round(value, 1)
