from django.http import QueryDict

from .. import selectors
from ..filters import SearchFilterSet, without_nuls
from ..models import Entity
from ..search import PageOutOfRange, SearchTimeout, search


class BadRequest(Exception):
    pass


# What a reader is told when a search ran past SEARCH_TIMEOUT_MS and was stopped.
TIMEOUT_MESSAGE = (
    "This search took too long and was stopped. Try fewer or rarer words, a phrase in "
    "quotes, or a filter (an agency, a contractor, dates)."
)


def page_number(value: str | None) -> int:
    try:
        n = int(value or 1)
    except ValueError:
        raise BadRequest("page: must be a whole number") from None
    if n < 1 or n > 100_000:
        raise BadRequest("page: out of range")
    return n


def search_filterset(params: QueryDict) -> SearchFilterSet:
    """The search's parameters, validated (NULs stripped rather than refused). Raises
    BadRequest with what is wrong."""
    filterset = SearchFilterSet(without_nuls(params))
    if not filterset.is_valid():
        raise BadRequest(filterset.errors_text())
    return filterset


def run_search(params: QueryDict, page_size: int, **options):
    """Validate the parameters, then search. Raises BadRequest or PageOutOfRange."""
    filterset = search_filterset(params)
    results = search(
        **filterset.search_args(),
        page=page_number(params.get("page")),
        page_size=page_size,
        **options,
    )
    return filterset, results


def article_filter(params: QueryDict) -> selectors.ArticleFilter:
    """An entity page's ?year= (a year, or "unknown"), ?with= (an entity's slug) and ?page=.
    Raises BadRequest with a message a person can act on."""
    year = (params.get("year") or "").strip() or None
    if year is not None and year != "unknown":
        if not (year.isascii() and year.isdigit() and 1 <= int(year) <= 9999):
            raise BadRequest('year: must be a year such as 2019, or "unknown"')
        year = int(year)
    alongside = None
    slug = (params.get("with") or "").strip()
    if slug:
        alongside = Entity.objects.filter(slug=slug).first()
        if alongside is None:
            raise BadRequest("with: no entity has that address")
    return selectors.ArticleFilter(year, alongside, page_number(params.get("page")))


__all__ = [
    "TIMEOUT_MESSAGE",
    "BadRequest",
    "PageOutOfRange",
    "SearchTimeout",
    "article_filter",
    "page_number",
    "run_search",
    "search_filterset",
]
