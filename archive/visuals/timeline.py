"""The archive's timeline (/timeline/) and an entity's articles by year (its page): counts
laid out as bar charts, each with the table that says the same in words.

An undated article is counted apart ("N articles with no known date"), never given a date.
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from . import queries
from .charts import BarChart, Item, bar_chart

# The chart shows the latest ten years by month (its bytes stay bounded however far back
# the archive reaches); the table by year covers every year.
MONTHS_SHOWN = 120
# Up to two years of months every month is labelled; beyond, only Januaries.
EVERY_MONTH_UP_TO = 24
# An entity's chart: at most this many years, the latest (its table lists every year).
YEARS_SHOWN = 50


@dataclass
class MonthCount:
    year: int
    month: int
    count: int

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def search_url(self) -> str:
        """The search for the month's articles (dates are inclusive)."""
        last = calendar.monthrange(self.year, self.month)[1]
        return (
            reverse("search")
            + "?"
            + urlencode(
                {
                    "published_after": dt.date(self.year, self.month, 1).isoformat(),
                    "published_before": dt.date(self.year, self.month, last).isoformat(),
                    "sort": "oldest",
                }
            )
        )


@dataclass
class Timeline:
    months: list[MonthCount]  # the window, oldest first, months with no article included
    chart: BarChart | None
    years: list[tuple[int, int]]  # (year, articles) for every year that has any, oldest first
    dated: int
    undated: int
    earlier: int  # dated articles older than the window
    changes: queries.RiseAndFall | None

    @property
    def listed_months(self) -> list[MonthCount]:
        """The window's months that have articles (the table leaves out the empty ones)."""
        return [m for m in self.months if m.count]


def archive_timeline(version) -> Timeline:
    by_month, undated = queries.articles_by_month(version)
    years: dict[int, int] = {}
    for (year, _), n in by_month.items():
        years[year] = years.get(year, 0) + n
    months = _window(by_month)
    in_window = sum(m.count for m in months)
    chart = None
    if months:
        every = len(months) <= EVERY_MONTH_UP_TO
        items = [
            Item(m.label, m.count, _month_tick(m, first=i == 0, every=every))
            for i, m in enumerate(months)
        ]
        chart = bar_chart(items, "months")
    dated = sum(by_month.values())
    return Timeline(
        months,
        chart,
        sorted(years.items()),
        dated,
        undated,
        dated - in_window,
        queries.rise_and_fall(version),
    )


def _window(by_month: dict[tuple[int, int], int]) -> list[MonthCount]:
    """Every month from the oldest dated article's (at most MONTHS_SHOWN back from the
    newest's) to the newest's, empty months included: a gap in the reporting shows."""
    if not by_month:
        return []
    first, last = min(by_month), max(by_month)
    index = last[0] * 12 + last[1] - 1
    start = max(first[0] * 12 + first[1] - 1, index - MONTHS_SHOWN + 1)
    return [
        MonthCount(i // 12, i % 12 + 1, by_month.get((i // 12, i % 12 + 1), 0))
        for i in range(start, index + 1)
    ]


def _month_tick(m: MonthCount, first: bool, every: bool) -> str | None:
    short = calendar.month_abbr[m.month]
    if first or m.month == 1:
        return f"{short} {m.year}" if every else str(m.year)
    return short if every else None


def year_chart(counts: list[tuple[int, int]], prefix: str) -> BarChart | None:
    """A bar per year from the first to the last of `counts` ((year, n), any order), years
    with none included, at most the latest YEARS_SHOWN."""
    if not counts:
        return None
    by_year = dict(counts)
    last = max(by_year)
    first = max(min(by_year), last - YEARS_SHOWN + 1)
    items = [Item(str(y), by_year.get(y, 0), str(y)) for y in range(first, last + 1)]
    return bar_chart(items, prefix, height=160)
