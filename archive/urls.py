from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path
from django.views.decorators.http import require_safe

from .feeds import EntityFeed, LatestArticlesFeed, SearchFeed
from .views import api, citations, exports, pages, site
from .views.caching import public_page
from .views.health import healthz
from .views.visuals import archive_timeline, relationship_map

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("search/", pages.search_page, name="search"),
    path("search/help/", pages.search_help, name="search-help"),
    path("search/export.csv", exports.search_csv, name="search-export"),
    path("search/export.jsonl", exports.search_jsonl, name="search-export-jsonl"),
    path("search/feed/", SearchFeed(), name="search-feed"),
    path("articles/<slug:slug>/", pages.article, name="article"),
    path("articles/<slug:slug>/cite.<str:fmt>", citations.download, name="article-cite"),
    path("exports/entities.csv", exports.entities_csv, name="export-entities"),
    path("exports/relationships.csv", exports.relationships_csv, name="export-relationships"),
    path("exports/articles.jsonl", exports.articles_jsonl, name="export-articles"),
    path("map/", relationship_map, name="map"),
    path("timeline/", archive_timeline, name="timeline"),
    path("data/", exports.data, name="data"),
    path("robots.txt", site.robots_txt, name="robots"),
    path("favicon.ico", site.favicon, name="favicon"),
    path(
        "sitemap.xml",
        require_safe(public_page(sitemap_views.index)),
        {"sitemaps": site.SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        require_safe(public_page(sitemap_views.sitemap)),
        {"sitemaps": site.SITEMAPS},
        name="sitemap-section",
    ),
    path("api/articles/", api.articles, name="api-articles"),
    path("api/articles/<slug:slug>/", api.article_detail, name="api-article"),
    path("api/search/", api.search, name="api-search"),
    path("api/entities/", api.entities, name="api-entities"),
    path("api/entities/<str:kind>/<slug:slug>/", api.entity_detail, name="api-entity"),
    path("feed/", LatestArticlesFeed(), name="feed"),
    path(settings.ADMIN_URL, admin.site.urls),
    re_path(
        r"^(?P<kind_plural>agencies|contractors|programs|organizations)/(?P<slug>[-\w]+)/feed/$",
        EntityFeed(),
        name="entity-feed",
    ),
    re_path(
        r"^(?P<kind_plural>agencies|contractors|programs|organizations)/(?P<slug>[-\w]+)"
        r"/articles\.(?P<fmt>csv|jsonl)$",
        exports.entity_articles,
        name="entity-articles",
    ),
    re_path(
        r"^(?P<kind_plural>agencies|contractors|programs|organizations)/$",
        pages.entity_index,
        name="entity-index",
    ),
    re_path(
        r"^(?P<kind_plural>agencies|contractors|programs|organizations)/(?P<slug>[-\w]+)/$",
        pages.entity,
        name="entity",
    ),
]

handler404 = "archive.views.pages.not_found"
