from datetime import date

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from .. import selectors
from ..filters import SearchFilterSet
from ..models import Article, EntityKind
from ..visuals import entity_visuals
from . import citations
from .caching import archive_version, public_page
from .common import (
    TIMEOUT_MESSAGE,
    BadRequest,
    PageOutOfRange,
    SearchTimeout,
    article_filter,
    page_number,
    run_search,
)

INDEX_PAGE_SIZE = 100


@require_safe
@public_page
def home(request):
    version = archive_version(request)
    return render(
        request,
        "archive/home.html",
        {
            "counts": selectors.archive_counts(version),
            "latest": Article.objects.newest_first().only(*selectors.LISTED_FIELDS)[:10],
            "top": selectors.top_entities(version),
        },
    )


@require_safe
@public_page
def search_page(request):
    try:
        filterset, results = run_search(
            request.GET, settings.SEARCH_PAGE_SIZE, version=archive_version(request)
        )
    except BadRequest as exc:
        return render(
            request,
            "archive/bad_request.html",
            {"message": str(exc), "fix": _swapped_dates(request.GET)},
            status=400,
        )
    except PageOutOfRange:
        raise Http404("That page of results does not exist.") from None
    except SearchTimeout:
        return _timed_out(request)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "archive/search.html",
        {
            "q": request.GET.get("q", ""),
            "results": results,
            "filterset": filterset,
            "base_query": params.urlencode(),
            "hidden_params": [
                (name, value)
                for name in (*EntityKind.values, "publication")
                for value in request.GET.getlist(name)
            ],
            "kinds": list(EntityKind),
            "active_filters": filterset.active_filters(),
        },
    )


def _swapped_dates(params) -> str:
    """The query string with "from" and "to" swapped, when both are ISO dates (as the date
    inputs send them) and reversed; else ""."""
    after, before = params.get("published_after", ""), params.get("published_before", "")
    try:
        if not date.fromisoformat(after) > date.fromisoformat(before):
            return ""
    except ValueError:
        return ""
    fixed = params.copy()
    fixed["published_after"], fixed["published_before"] = before, after
    fixed.pop("page", None)
    # Offered only when swapping is all it takes (no other bad value, a date the form reads).
    return fixed.urlencode() if SearchFilterSet(fixed).is_valid() else ""


def _timed_out(request):
    response = render(
        request,
        "archive/bad_request.html",
        {"message": TIMEOUT_MESSAGE, "q": request.GET.get("q", "")},
        status=503,
    )
    response["Retry-After"] = "5"
    return response


@require_safe
@public_page
def search_help(request):
    return render(request, "archive/search_help.html")


@require_safe
@public_page
def article(request, slug):
    page = selectors.article_page(slug)
    if page is None:
        raise Http404("No article with that address.")
    return render(
        request,
        "archive/article.html",
        {
            "page": page,
            "article": page.article,
            "citation": citations.citation_for(request, page.article),
        },
    )


@require_safe
@public_page
def entity_index(request, kind_plural):
    kind = EntityKind.from_plural(kind_plural)
    if kind is None:
        raise Http404("No such kind of entity.")
    try:
        number = page_number(request.GET.get("page"))
    except BadRequest as exc:
        return render(request, "archive/bad_request.html", {"message": str(exc)}, status=400)
    # An order we do not know (an old link, a typo) reads as the default, never an error.
    sort = request.GET.get("sort", "")
    sort = sort if sort in selectors.INDEX_SORTS else selectors.INDEX_SORTS[0]
    rows = selectors.entity_index_rows(kind, sort, archive_version(request))
    paginator = Paginator(rows, INDEX_PAGE_SIZE)
    if number > paginator.num_pages:
        raise Http404("That page of the list does not exist.")
    # The sortable columns: (label, key, the order a first click asks for). A click on the
    # column the list is sorted by reverses it; aria-sort tells a screen reader which it is.
    columns = []
    for label, key, first_click in [
        ("Name", "name", "name"),
        ("Articles", "articles", "-articles"),
        ("First named", "first", "first"),
        ("Last named", "last", "-last"),
    ]:
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        columns.append(
            {
                "label": label,
                "key": key,
                "aria_sort": ("descending" if descending else "ascending") if current else "",
                "next": (key if descending else f"-{key}") if current else first_click,
            }
        )
    return render(
        request,
        "archive/entity_index.html",
        {
            "kind": kind,
            "page": paginator.page(number),
            "sort": sort,
            "columns": {c["key"]: c for c in columns},
        },
    )


@require_safe
@public_page
def entity(request, kind_plural, slug):
    found, moved_to = selectors.find_entity(kind_plural, slug)
    if moved_to:
        return redirect(moved_to, permanent=True)
    if found is None:
        raise Http404("No entity with that address.")
    try:
        chosen = article_filter(request.GET)
    except BadRequest as exc:
        return render(request, "archive/bad_request.html", {"message": str(exc)}, status=400)
    version = archive_version(request)
    page = selectors.entity_page(found, chosen, version)
    if chosen.page != page.articles.page:
        raise Http404("That page of articles does not exist.")
    context = {"page": page, "entity": page.detail}
    # Its neighbourhood map and its articles by year (the summary already read).
    context |= entity_visuals(found, version, summary=page.summary)
    return render(request, "archive/entity.html", context)


def not_found(request, exception):
    """The 404 page: our own reason ("No article with that address.") when a view gave one;
    never the resolver's internals (what it tried, as Django's exception carries them)."""
    reason = exception.args[0] if exception.args else ""
    message = reason if isinstance(reason, str) and request.resolver_match else ""
    return render(request, "404.html", {"message": message}, status=404)
