"""What crawlers and browsers ask of every site: a sitemap (Django's sitemaps framework),
robots.txt and a favicon."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from ..models import Article, Entity, EntityKind
from .caching import public_page


class ArticleSitemap(Sitemap):
    # Django splits a sitemap past `limit` URLs into pages (sitemap.xml?p=2), each a bounded
    # answer; the index lists them.
    limit = 5000

    def items(self):
        return Article.objects.order_by("id").only("slug", "updated")

    def lastmod(self, article):
        return article.updated


class EntitySitemap(Sitemap):
    limit = 5000

    def items(self):
        return Entity.objects.order_by("id").only("slug", "kind", "updated")

    def lastmod(self, entity):
        return entity.updated


class PageSitemap(Sitemap):
    def items(self):
        return ["home", "search-help", *(k.plural for k in EntityKind)]

    def location(self, item):
        if item in {k.plural for k in EntityKind}:
            return reverse("entity-index", args=[item])
        return reverse(item)


SITEMAPS = {"pages": PageSitemap, "articles": ArticleSitemap, "entities": EntitySitemap}


@require_safe
@public_page
def robots_txt(request):
    # Search and exports are computed per request: crawlers follow articles and entities.
    lines = [
        "User-agent: *",
        f"Disallow: /{settings.ADMIN_URL}",
        "Disallow: /search/",
        "Disallow: /api/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap-index'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


FAVICON = (settings.BASE_DIR / "static" / "archive" / "favicon.svg").read_bytes()


@require_safe
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says: the same
    # SVG, answered here (every current browser reads an SVG icon).
    response = HttpResponse(FAVICON, content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response
