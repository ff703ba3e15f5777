"""Read-only JSON API: the same selectors and search as the pages.

Every view is wrapped in @api_view, the one place where request errors become JSON
answers (400 for bad parameters, 404 for what does not exist), and every article is
written by article_data(), with extra keys where a view knows more.
"""

from functools import wraps

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import JsonResponse as _JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from .. import selectors
from ..models import Article, Entity, EntityKind, Mention
from .caching import archive_version, public_page
from .common import (
    TIMEOUT_MESSAGE,
    BadRequest,
    PageOutOfRange,
    SearchTimeout,
    article_filter,
    run_search,
)

RETRY = {"Retry-After": "5"}


class _Encoder(DjangoJSONEncoder):
    """JSON whose bytes never contain a raw <, > or &: article text may hold markup, and a
    response sniffed or embedded as HTML must not run it. Decoded values are unchanged."""

    def encode(self, o):
        return (
            super()
            .encode(o)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )


def JsonResponse(data, status=200, **kwargs):  # noqa: N802 - a drop-in for Django's
    kwargs.setdefault("json_dumps_params", {"ensure_ascii": False})
    return _JsonResponse(data, encoder=_Encoder, status=status, **kwargs)


class NotFound(Exception):
    """Nothing at this address; the message is the answer's "error"."""


def api_view(view):
    """GET/HEAD only; BadRequest -> 400, NotFound and pages past the end -> 404."""

    @require_safe
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        except NotFound as exc:
            return JsonResponse({"error": str(exc)}, status=404)
        except PageOutOfRange:
            return JsonResponse({"error": "page out of range"}, status=404)
        except SearchTimeout:
            return JsonResponse({"error": TIMEOUT_MESSAGE}, status=503, headers=RETRY)

    return wrapper


# -- representations ----------------------------------------------------------------------
def entity_ref(request, entity: Entity, **extra) -> dict:
    return {
        "name": entity.name,
        "acronym": entity.acronym,
        "slug": entity.slug,
        "kind": entity.kind,
        "url": request.build_absolute_uri(entity.get_absolute_url()),
        **extra,
    }


def article_data(request, article: Article, **extra) -> dict:
    """The one representation of an article; views add what they know (`extra`)."""
    return {
        "title": article.title,
        "slug": article.slug,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "published": article.published.isoformat() if article.published else None,
        "publication": article.publication,
        "source_url": article.source_url or None,
        "dept": article.dept or None,
        "facts_note": article.facts_note or None,
        **extra,
    }


def entities_by_kind(request, mentions: list[Mention]) -> dict:
    return {
        kind.plural: [
            entity_ref(request, m.entity, mention_count=m.count)
            for m in mentions
            if m.entity.kind == kind
        ]
        for kind in EntityKind
    }


def _visible_mentions():
    return Prefetch(
        "mentions",
        queryset=Mention.objects.visible()
        .select_related("entity")
        .order_by("-count", "entity__name"),
        to_attr="visible_mentions",
    )


def _page(request, items, size):
    paginator = Paginator(items, size)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        raise BadRequest("page: must be a whole number") from None
    except EmptyPage:
        raise PageOutOfRange from None

    return page, {
        "count": paginator.count,
        "page": page.number,
        "num_pages": paginator.num_pages,
        "next": _page_url(request, page.number + 1) if page.has_next() else None,
        "previous": _page_url(request, page.number - 1) if page.has_previous() else None,
    }


def _page_url(request, number: int) -> str:
    params = request.GET.copy()
    params["page"] = number
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


# -- views --------------------------------------------------------------------------------
@api_view
@public_page
def articles(request):
    page, meta = _page(
        request,
        Article.objects.newest_first().prefetch_related(_visible_mentions()),
        settings.API_PAGE_SIZE,
    )
    results = [
        article_data(request, a, **entities_by_kind(request, a.visible_mentions))
        for a in page.object_list
    ]
    return JsonResponse({**meta, "results": results})


@api_view
@public_page
def article_detail(request, slug):
    article = Article.objects.prefetch_related(_visible_mentions()).filter(slug=slug).first()
    if article is None:
        raise NotFound("no article with that slug")
    return JsonResponse(
        article_data(
            request,
            article,
            **entities_by_kind(request, article.visible_mentions),
            body=article.body,
        )
    )


@api_view
@public_page
def search(request):
    _, results = run_search(
        request.GET, settings.SEARCH_PAGE_SIZE, version=archive_version(request)
    )
    return JsonResponse(
        {
            "query": request.GET.get("q", ""),
            "parsed": str(results.query),
            "total": results.total,
            "page": results.page,
            "num_pages": results.num_pages,
            "sort": results.sort,
            # Over `window` matches, relevance ranks and facets count the `window` newest.
            "window": results.window,
            "windowed": results.windowed,
            "results": [
                article_data(
                    request,
                    h.article,
                    title_html=str(h.title_html),
                    snippet=str(h.snippet_html),
                    entities=[entity_ref(request, e) for e in h.entities],
                    matched_entities=[e.slug for e in h.matched_entities],
                )
                for h in results.hits
            ],
            "facets": {
                **{
                    kind: [
                        {"slug": f.value, "name": f.label, "count": f.count, "selected": f.selected}
                        for f in values
                    ]
                    for kind, values in results.facets.items()
                },
                "publication": [
                    {"name": f.label, "count": f.count, "selected": f.selected}
                    for f in results.publications
                ],
            },
            "entities": [
                entity_ref(request, e, article_count=e.article_count) for e in results.entities
            ],
            "suggestions": results.suggestions,
            "similar_entities": [entity_ref(request, e) for e in results.similar_entities],
        }
    )


def _entity_data(request, e: Entity, article_count: int) -> dict:
    return entity_ref(
        request,
        e,
        aliases=[a.name for a in e.aliases.all()],
        description=e.description,
        article_count=article_count,
    )


@api_view
@public_page
def entities(request):
    """Every entity (of ?kind=), most-named first, API_PAGE_SIZE a page."""
    kind = request.GET.get("kind", "")
    if kind and kind not in EntityKind.values:
        raise BadRequest(f"kind: must be one of {', '.join(EntityKind.values)}")
    by_kind = selectors.entities_by_kind(archive_version(request))
    rows = sorted(
        (e for k, entities in by_kind.items() if k == kind or not kind for e in entities),
        key=lambda e: (-e.article_count, e.name.casefold(), e.pk),
    )
    page, meta = _page(request, rows, settings.API_PAGE_SIZE)
    return JsonResponse(
        {**meta, "results": [_entity_data(request, e, e.article_count) for e in page.object_list]}
    )


@api_view
@public_page
def entity_detail(request, kind, slug):
    """An entity with its summary, relationships and one page of the articles that name it
    (?page=, ?year=, ?with= as on its page)."""
    if kind not in EntityKind.values:
        raise NotFound(f"kind: must be one of {', '.join(EntityKind.values)}")
    found, moved_to = selectors.find_entity(EntityKind(kind).plural, slug)
    if moved_to is not None:
        return redirect("api-entity", moved_to.kind, moved_to.slug, permanent=True)
    if found is None:
        raise NotFound("no entity with that slug")
    chosen = article_filter(request.GET)
    page = selectors.entity_page(found, chosen, archive_version(request))
    listed = page.articles
    if chosen.page != listed.page:
        raise PageOutOfRange
    entity, parent = page.detail, getattr(page.detail, "parent", None)

    return JsonResponse(
        _entity_data(request, entity, page.summary.article_count)
        | {
            "parent": entity_ref(request, parent) if parent else None,
            # Where "part of" is stated: an article's passage or a public record.
            "parent_source": _citation(request, page.parent_citation),
            "children": [entity_ref(request, c) for c in page.children],
            # A program's status as its sourced history gives it (as its page says).
            "status": page.current_status or None,
            # Each sentence of the description with the passage it comes from.
            "description_sources": [
                {
                    "text": f.text,
                    "quote": f.quote,
                    "article": f.article_slug,
                    "paragraph": f.paragraph,
                    "url": request.build_absolute_uri(f.url),
                }
                for f in page.footnotes
            ],
            "first_named": page.summary.first_date,
            "last_named": page.summary.last_date,
            "status_history": [
                {
                    "status": s.status,
                    "year": s.year,
                    "note": s.note or None,
                    "article": s.article.slug,
                    "quote": s.quote,
                }
                for s in page.statuses
            ],
            "timeline": [{"year": y.year, "articles": y.count} for y in page.summary.timeline],
            # One page of the articles that name it (newest first); `articles_page` says
            # which, how many match and where the next page is.
            "articles": [
                article_data(request, ea.article, mention_count=ea.count) for ea in listed.items
            ],
            "articles_page": {
                "count": listed.total,
                "page": listed.page,
                "num_pages": listed.num_pages,
                "year": chosen.year,
                "with": chosen.alongside.slug if chosen.alongside else None,
                "next": _page_url(request, listed.page + 1) if listed.has_next else None,
                "previous": _page_url(request, listed.page - 1) if listed.has_previous else None,
            },
            "related": [
                entity_ref(request, ec.entity, shared_articles=ec.count) for ec in page.related
            ],
            "relationship_count": page.relationship_count,
            "relationships": [
                {
                    "subject": row.relationship.subject.slug,
                    "kind": row.relationship.kind,
                    "label": row.relationship.get_kind_display(),
                    "object": row.relationship.object.slug,
                    "amount": row.relationship.amount or None,
                    "period": row.relationship.period or None,
                    "article": row.relationship.article.slug,
                    "quote": row.relationship.quote,
                    "second_quote": row.relationship.second_quote or None,
                    # The sentence names the parties together without saying which did
                    # this with which: the claim is about the group.
                    "collective": row.relationship.collective,
                    # Where a party the quote leaves unnamed is named ("paragraph", ...).
                    "context": row.relationship.context or None,
                    "paragraph_url": request.build_absolute_uri(
                        f"{row.relationship.article.get_absolute_url()}#p-{row.paragraph}"
                    ),
                }
                for row in page.relationships
            ],
        }
    )


def _citation(request, c: "selectors.Citation | None") -> dict | None:
    if c is None:
        return None
    url = c.url if c.external else request.build_absolute_uri(c.url)
    return {"url": url, "title": c.title, "quote": c.quote or None, "external": c.external}
