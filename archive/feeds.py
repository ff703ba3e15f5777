"""Atom feeds, so a journalist can follow an entity (or the whole archive) in a reader."""

import datetime as dt

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.views.decorators.http import require_safe

from . import selectors
from .models import Article, Mention
from .views.caching import archive_version, public_page
from .views.common import TIMEOUT_MESSAGE, BadRequest, SearchTimeout, run_search

FEED_ITEMS = 50


class _ArticleFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        # Like every public page: GET and HEAD only, 304 for a reader whose copy is current,
        # Cache-Control. (Django's Feed itself answers any method.)
        return require_safe(public_page(super().__call__))(request, *args, **kwargs)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Atom carries the summary as HTML: escape the article's text.
        summary = escape(item.body.split("\n", 1)[0])
        if item.published is None:
            # The entry's <updated> is when the archive took it in, not when it was
            # written: a reader sorting by it must not take it for a publication date.
            archived = item.created.strftime("%-d %B %Y")
            return f"[Publication date unknown; archived {archived}.] {summary}"
        return summary

    def item_pubdate(self, item):
        # No <published> for an undated article: the date is never invented.
        if item.published:
            return dt.datetime.combine(item.published, dt.time(), tzinfo=dt.UTC)
        return None

    def item_updateddate(self, item):
        return item.updated


class LatestArticlesFeed(_ArticleFeed):
    title = "Surveillance Reporting Archive: latest articles"
    link = "/"
    subtitle = "Newly archived reporting on government surveillance."

    def items(self):
        # Newest archived first. Ids only grow, so "-id" is the order of archiving and reads
        # the primary key backwards (ordering by `created`, unindexed, sorted every row:
        # 0.9 s at 100,000 articles).
        return Article.objects.order_by("-id")[:FEED_ITEMS]


class EntityFeed(_ArticleFeed):
    def __call__(self, request, kind_plural, slug):
        # Conditional GET first, as on every public page: a reader whose copy is current
        # gets its 304 before any entity is looked up.
        return require_safe(public_page(self._serve))(request, kind_plural, slug)

    def _serve(self, request, kind_plural, slug):
        # A merged entity's feed moves with its page (301), so a reader's subscription
        # follows it instead of breaking.
        entity, moved_to = selectors.find_entity(kind_plural, slug)
        if moved_to is not None:
            return redirect("entity-feed", moved_to.kind_plural, moved_to.slug, permanent=True)
        if entity is None:
            raise Http404("No entity with that address.")
        return Feed.__call__(self, request, kind_plural=kind_plural, slug=slug)

    def get_object(self, request, kind_plural, slug):
        entity, _ = selectors.find_entity(kind_plural, slug)
        return entity

    def title(self, obj):
        return f"Surveillance Reporting Archive: {obj.name}"

    def link(self, obj):
        return obj.get_absolute_url()

    def subtitle(self, obj):
        return f"Articles that name {obj.name}."

    def items(self, obj):
        # The newest archived articles that name it: the end of the (entity, article) index.
        ids = list(
            Mention.objects.visible()
            .filter(entity=obj)
            .order_by("-article_id")
            .values_list("article_id", flat=True)[:FEED_ITEMS]
        )
        return Article.objects.filter(id__in=ids).order_by("-id")


class SearchFeed(_ArticleFeed):
    """A search to follow: /search/feed/?q=...&agency=... (the search page's parameters),
    its FEED_ITEMS newest matches, so a reader is told when a new article matches."""

    def __call__(self, request):
        params = request.GET.copy()
        params["sort"] = "newest"
        params.pop("page", None)
        try:
            _, results = run_search(
                params, FEED_ITEMS, with_facets=False, version=archive_version(request)
            )
        except BadRequest as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        except SearchTimeout:
            return HttpResponse(TIMEOUT_MESSAGE, status=503, content_type="text/plain")
        request.archive_search = results
        return super().__call__(request)

    def get_object(self, request):
        return request

    def title(self, request):
        q = request.GET.get("q", "").strip()
        return f"Surveillance Reporting Archive: search {q!r}" if q else (
            "Surveillance Reporting Archive: search"
        )  # fmt: skip

    def link(self, request):
        params = request.GET.copy()
        params.pop("page", None)
        return f"/search/?{params.urlencode()}"

    def subtitle(self, request):
        return f"The newest of {request.archive_search.total} matching articles."

    def items(self, request):
        return request.archive_search.hits

    # Each item is a search hit: its article, and a snippet already escaped and marked.
    def item_title(self, hit):
        return hit.article.title

    def item_link(self, hit):
        return hit.article.get_absolute_url()

    def item_description(self, hit):
        summary = str(hit.snippet_html)
        if hit.article.published is None:
            return f"[Publication date unknown.] {summary}"
        return summary

    def item_pubdate(self, hit):
        return super().item_pubdate(hit.article)

    def item_updateddate(self, hit):
        return hit.article.updated
