"""Read-only JSON API: the same selectors and search as the pages."""

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import JsonResponse as _JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from .. import selectors
from ..models import Article, Entity, EntityKind, Mention
from .common import BadRequest, PageOutOfRange, run_search


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


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _entity_ref(request, entity: Entity, count: int | None = None) -> dict:
    data = {
        "name": entity.name,
        "acronym": entity.acronym,
        "slug": entity.slug,
        "kind": entity.kind,
        "url": request.build_absolute_uri(entity.get_absolute_url()),
    }
    if count is not None:
        data["mention_count"] = count
    return data


def _article_data(request, article: Article, mentions: list[Mention], body: bool = False) -> dict:
    data = {
        "title": article.title,
        "slug": article.slug,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "published": article.published.isoformat() if article.published else None,
        "publication": article.publication,
        "source_url": article.source_url or None,
        "dept": article.dept or None,
        "facts_note": article.facts_note or None,
    }
    for kind in EntityKind:
        data[kind.plural] = [
            _entity_ref(request, m.entity, m.count) for m in mentions if m.entity.kind == kind
        ]
    if body:
        data["body"] = article.body
    return data


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
        return paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        raise BadRequest("page: must be a whole number") from None
    except EmptyPage:
        raise PageOutOfRange from None


def _links(request, page) -> dict:
    def url(n):
        params = request.GET.copy()
        params["page"] = n
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return {
        "next": url(page.next_page_number()) if page.has_next() else None,
        "previous": url(page.previous_page_number()) if page.has_previous() else None,
    }


@require_GET
def articles(request):
    try:
        page = _page(
            request,
            Article.objects.newest_first().prefetch_related(_visible_mentions()),
            settings.API_PAGE_SIZE,
        )
    except BadRequest as exc:
        return _error(400, str(exc))
    except PageOutOfRange:
        return _error(404, "page out of range")
    return JsonResponse(
        {
            "count": page.paginator.count,
            "page": page.number,
            "num_pages": page.paginator.num_pages,
            **_links(request, page),
            "results": [_article_data(request, a, a.visible_mentions) for a in page.object_list],
        }
    )


@require_GET
def article_detail(request, slug):
    article = Article.objects.prefetch_related(_visible_mentions()).filter(slug=slug).first()
    if article is None:
        return _error(404, "no article with that slug")
    return JsonResponse(_article_data(request, article, article.visible_mentions, body=True))


@require_GET
def search(request):
    try:
        _, results = run_search(request.GET, settings.SEARCH_PAGE_SIZE)
    except BadRequest as exc:
        return _error(400, str(exc))
    except PageOutOfRange:
        return _error(404, "page out of range")
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
                {
                    "title": h.article.title,
                    "slug": h.article.slug,
                    "url": request.build_absolute_uri(h.article.get_absolute_url()),
                    "published": h.article.published.isoformat() if h.article.published else None,
                    "publication": h.article.publication,
                    "title_html": str(h.title_html),
                    "snippet": str(h.snippet_html),
                    "entities": [_entity_ref(request, e) for e in h.entities],
                    "matched_entities": [e.slug for e in h.matched_entities],
                }
                for h in results.hits
            ],
            "facets": {
                **{
                    EntityKind(kind).value: [
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
                _entity_ref(request, e) | {"article_count": e.article_count}
                for e in results.entities
            ],
            "suggestions": results.suggestions,
            "similar_entities": [_entity_ref(request, e) for e in results.similar_entities],
        }
    )


def _entity_data(request, e: Entity) -> dict:
    return _entity_ref(request, e) | {
        "aliases": [a.name for a in e.aliases.all()],
        "description": e.description,
        "article_count": e.article_count,
    }


@require_GET
def entities(request):
    kind = request.GET.get("kind", "")
    qs = (
        Entity.objects.with_article_counts()
        .prefetch_related("aliases")
        .order_by("-article_count", "name")
    )
    if kind:
        if kind not in EntityKind.values:
            return _error(400, "kind: must be one of agency, contractor, program")
        qs = qs.filter(kind=kind)
    return JsonResponse({"count": len(qs), "results": [_entity_data(request, e) for e in qs]})


@require_GET
def entity_detail(request, kind, slug):
    if kind not in EntityKind.values:
        return _error(404, "kind: must be one of agency, contractor, program")
    entity = (
        Entity.objects.with_article_counts()
        .prefetch_related("aliases")
        .filter(kind=kind, slug=slug)
        .first()
    )
    if entity is None:
        try:
            _, moved_to = selectors.resolve_entity(EntityKind(kind).plural, slug)
        except Exception:
            return _error(404, "no entity with that slug")
        target = Entity.objects.get(slug=moved_to.rstrip("/").rsplit("/", 1)[-1])
        return redirect("api-entity", target.kind, target.slug, permanent=True)
    page = selectors.entity_page(entity)
    data = _entity_data(request, entity)
    data["parent"] = (
        _entity_ref(request, page.detail.parent) if getattr(page.detail, "parent", None) else None
    )
    data["children"] = [_entity_ref(request, c) for c in page.children]
    data["status"] = getattr(page.detail, "status", None) or None
    data["status_history"] = [
        {
            "status": s.status,
            "year": s.year,
            "note": s.note or None,
            "article": s.article.slug,
            "quote": s.quote,
        }
        for s in page.statuses
    ]
    data["articles"] = [
        {
            "title": ea.article.title,
            "slug": ea.article.slug,
            "url": request.build_absolute_uri(ea.article.get_absolute_url()),
            "published": ea.article.published.isoformat() if ea.article.published else None,
            "mention_count": ea.count,
        }
        for ea in page.articles
    ]
    data["related"] = [_entity_ref(request, e) | {"shared_articles": n} for e, n in page.related]
    data["relationships"] = [
        {
            "subject": r.subject.slug,
            "kind": r.kind,
            "label": r.get_kind_display(),
            "object": r.object.slug,
            "amount": r.amount or None,
            "period": r.period or None,
            "article": r.article.slug,
            "quote": r.quote,
        }
        for _, _, r, _ in page.relationships
    ]
    return JsonResponse(data)
