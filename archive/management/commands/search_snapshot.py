"""Print what the search answers for a list of queries, as JSON: to compare two engines.

    python manage.py search_snapshot queries.json
    echo '[{"text": "Wickr"}, {"text": "ICE", "sort": "newest"}]' | python manage.py search_snapshot

Input: a JSON list of queries, or an object {"articles": [...], "queries": [...]} whose
articles (objects with "slug", "body" and optionally "title") are added first, so a test can
ask both engines about the same small texts (tests/test_search_words.py). Each query is an
object with "text" and optionally "sort"
("relevance", "newest", "oldest"), "page", "page_size" (default 100), "agency",
"contractor", "program" (lists of entity slugs), "published_after", "published_before"
(YYYY-MM-DD) and "publication".

Output: a JSON list, one answer per query in the same order:
{"query": <the query>, "total": N, "slugs": [the page's article slugs, in order]},
or {"query": ..., "error": "..."} when the page is out of range or a filter names an unknown
entity. Only the public search interface is used, so the answer is whatever the pages and
the API would list, on whichever database DATABASE_URL names.
"""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from archive.models import Article, Entity
from archive.search import Filters, PageOutOfRange, search

KINDS = ("agency", "contractor", "program", "organization")


class UnknownEntity(Exception):
    pass


def _filters(query: dict) -> Filters:
    entity_ids = {}
    for kind in KINDS:
        slugs = query.get(kind) or []
        if isinstance(slugs, str):
            slugs = [slugs]
        if not slugs:
            continue
        ids = list(Entity.objects.filter(kind=kind, slug__in=slugs).values_list("id", flat=True))
        if len(ids) != len(set(slugs)):
            raise UnknownEntity(f"unknown {kind} in {slugs}")
        entity_ids[kind] = ids

    def date(name):
        value = query.get(name)
        return dt.date.fromisoformat(value) if value else None

    return Filters(
        entity_ids=entity_ids,
        published_after=date("published_after"),
        published_before=date("published_before"),
        publication=query.get("publication") or "",
    )


def answer(query: dict) -> dict:
    try:
        results = search(
            query.get("text", ""),
            filters=_filters(query),
            sort=query.get("sort", "relevance"),
            page=int(query.get("page", 1)),
            page_size=int(query.get("page_size", 100)),
        )
    except PageOutOfRange:
        return {"query": query, "error": "page out of range"}
    except UnknownEntity as exc:
        return {"query": query, "error": str(exc)}
    return {
        "query": query,
        "total": results.total,
        "slugs": [hit.article.slug for hit in results.hits],
    }


class Command(BaseCommand):
    help = "Run a JSON list of searches (from a file or standard input) and print the results."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default="-", help="A JSON file of queries; - (default) for stdin."
        )

    def handle(self, *args, file, **options):
        try:
            if file == "-":
                queries = json.load(sys.stdin)
            else:
                with open(file, encoding="utf-8") as fh:
                    queries = json.load(fh)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read queries from {file}: {exc}") from None
        articles = []
        if isinstance(queries, dict):
            articles, queries = queries.get("articles") or [], queries.get("queries")
        if not isinstance(queries, list) or not all(isinstance(q, dict) for q in queries):
            raise CommandError("expected a JSON list of objects, each with a 'text'")
        # Through the model, so each engine indexes them as it indexes any article.
        for a in articles:
            Article.objects.create(
                slug=a["slug"], title=a.get("title") or a["slug"], body=a["body"]
            )
        self.stdout.write(json.dumps([answer(q) for q in queries], ensure_ascii=False))
