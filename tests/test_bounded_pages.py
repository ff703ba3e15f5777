"""Every page is bounded whatever the size of the archive: the same number of queries and
a bounded size on the ten-article seed and on an archive where one entity (ICE) is named in
thousands of articles.

The large archive is bulk-created once for this module (a few seconds), inside a
transaction that is rolled back afterwards, so the rest of the suite sees the seed alone.
The tests run without a cache (archive/settings_test.py), so every figure is the cold one.
"""

import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from archive.models import Article, Entity, Mention

from .spec import UTILITY, article_url

ARTICLES = 3_000
KB = 1024


def _body(i: int) -> tuple[str, list[tuple[str, list[list[int]]]]]:
    """A three-paragraph body naming ICE (every article), Thomson Reuters (every third) and
    Wickr (every tenth), with the spans the linker would record."""
    paragraphs = [
        f"Report {i}: ICE agents asked for more data than the contract allowed.",
        "Thomson Reuters sold the records, according to the filing."
        if i % 3 == 0
        else "Nobody would say who sold the records.",
        "The agency used Wickr to talk about it." if i % 10 == 0 else "The story goes on.",
    ]
    body = "\n".join(paragraphs)
    named = [("ice", [[body.index("ICE"), body.index("ICE") + 3]])]
    if i % 3 == 0:
        start = body.index("Thomson Reuters")
        named.append(("thomson-reuters", [[start, start + len("Thomson Reuters")]]))
    if i % 10 == 0:
        start = body.index("Wickr")
        named.append(("wickr", [[start, start + 5]]))
    return body, named


@pytest.fixture(scope="module")
def big(django_db_setup, django_db_blocker):
    """The seed plus ARTICLES articles naming ICE, spread over 2015-2024 (one in twenty
    undated), built with two bulk inserts. Yields {url: queries on the seed alone}, counted
    before the articles are added."""
    with django_db_blocker.unblock(), transaction.atomic():
        client = Client()
        seed_queries = {url: _get(client, url.partition("page=")[0])[1] for url, _ in PAGES}
        entities = dict(Entity.objects.values_list("slug", "pk"))
        articles, named = [], []
        for i in range(ARTICLES):
            body, names = _body(i)
            published = None if i % 20 == 0 else dt.date(2015 + i % 10, 1 + i % 12, 1 + i % 28)
            articles.append(
                Article(
                    title=f"Bulk ICE article {i}",
                    slug=f"bulk-{i}",
                    body=body,
                    publication="Bulk Wire",
                    published=published,
                    source_url=f"https://example.org/bulk/{i}",
                )
            )
            named.append(names)
        created = Article.objects.bulk_create(articles, batch_size=500)
        Mention.objects.bulk_create(
            [
                Mention(article=a, entity_id=entities[slug], count=len(spans), spans=spans)
                for a, names in zip(created, named, strict=True)
                for slug, spans in names
            ],
            batch_size=1000,
        )
        yield seed_queries
        transaction.set_rollback(True)


# (url, largest size in KB). Each page is asked on the seed alone and on the large archive;
# a page past the first is compared with the seed's first (the seed has only one).
BIG_ARTICLE = "bulk-2999"
PAGES = [
    ("/", 40),
    ("/agencies/", 40),
    ("/contractors/", 40),
    ("/agencies/ice/", 120),
    ("/agencies/ice/?page=2", 120),
    ("/agencies/ice/?page=50", 120),
    ("/agencies/ice/?year=2021", 120),
    ("/agencies/ice/?year=unknown", 120),
    ("/agencies/ice/?with=thomson-reuters", 120),
    ("/agencies/ice/?with=wickr&year=2020", 120),
    ("/contractors/thomson-reuters/", 120),
    ("/programs/wickr/", 120),
    (article_url(UTILITY), 60),
    ("/api/entities/", 60),
    ("/api/entities/?kind=agency", 60),
    ("/api/entities/agency/ice/", 60),
    ("/api/entities/agency/ice/?year=2022", 60),
    ("/api/entities/agency/ice/?page=3", 60),
    ("/api/entities/program/wickr/?with=ice", 60),
    ("/api/articles/", 80),
    ("/feed/", 120),
    ("/agencies/ice/feed/", 120),
    ("/programs/wickr/feed/", 120),
]


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("url, max_kb", PAGES)
def test_page_is_bounded_on_a_large_archive(client, big, url, max_kb):
    """As many queries as the same page makes when ICE is named in ten articles, not three
    thousand, and no more than `max_kb` of answer."""
    assert Mention.objects.filter(entity__slug="ice").count() > ARTICLES
    response, queries = _get(client, url)
    assert queries == big[url]
    assert len(response.content) <= max_kb * KB


@pytest.mark.django_db
def test_a_large_article_page_is_bounded(client, big):
    response, _ = _get(client, article_url(BIG_ARTICLE))
    assert len(response.content) <= 60 * KB
    assert b"Related articles" in response.content


@pytest.mark.django_db
def test_the_entity_page_lists_one_page_and_counts_all(client, big):
    page = client.get("/agencies/ice/").content.decode()
    assert f"Named in <strong>{ARTICLES + 10}</strong> articles." in page
    assert page.count('class="named-in"') == 20
    assert "Page 1 of 50" in page  # ENTITY_MAX_PAGES: the rest by year
    assert "choose a year" in page


@pytest.mark.django_db
def test_the_entity_api_is_paginated(client, big):
    data = json.loads(client.get("/api/entities/agency/ice/?year=2019").content)
    assert len(data["articles"]) == 20
    in_2019 = [y["articles"] for y in data["timeline"] if y["year"] == 2019]
    assert data["articles_page"]["count"] == in_2019[0] > 20
    assert data["articles_page"]["next"].endswith("year=2019&page=2")
    assert all(a["published"].startswith("2019") for a in data["articles"])
