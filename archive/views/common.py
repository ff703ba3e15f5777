from django.http import QueryDict

from ..filters import SearchFilterSet
from ..search import PageOutOfRange, search


class BadRequest(Exception):
    pass


def page_number(value: str | None) -> int:
    try:
        n = int(value or 1)
    except ValueError:
        raise BadRequest("page: must be a whole number") from None
    if n < 1 or n > 100_000:
        raise BadRequest("page: out of range")
    return n


def run_search(params: QueryDict, page_size: int, **options):
    """Validate the parameters, then search. Raises BadRequest or PageOutOfRange."""
    params = params.copy()
    # Browsers and bots send odd things; strip NULs rather than fail on them.
    for key in list(params):
        params.setlist(key, [v.replace("\x00", "") for v in params.getlist(key)])
    filterset = SearchFilterSet(params)
    if not filterset.is_valid():
        raise BadRequest(filterset.errors_text())
    results = search(
        **filterset.search_args(),
        page=page_number(params.get("page")),
        page_size=page_size,
        **options,
    )
    return filterset, results


__all__ = ["BadRequest", "PageOutOfRange", "page_number", "run_search"]
