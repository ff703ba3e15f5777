"""Take the data away: the entities, the sourced relationships and the whole archive, as
files a spreadsheet or a script reads.

    /exports/entities.csv        every entity: kind, names, parent, status, description, counts
    /exports/relationships.csv   every sourced relationship, with its quote and article
    /exports/articles.jsonl      every article, one JSON object a line, with the entities
                                 it names (streamed: memory stays flat at any size)

Cells go through csv_cell (no spreadsheet formula runs); JSON Lines carry the same article
representation as the API (api.article_data).
"""

import csv

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from .. import selectors
from ..models import Agency, Article, EntityKind, Mention, Program, Relationship
from .api import _Encoder, article_data, entities_by_kind
from .caching import archive_version, public_page
from .pages import csv_row

BATCH = 500  # articles read per query while streaming


def _csv_response(filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@public_page
def entities_csv(request):
    response = _csv_response("archive-entities.csv")
    writer = csv.writer(response)
    writer.writerow(
        ["kind", "name", "acronym", "aliases", "parent", "status", "articles", "description", "url"]
    )
    by_kind = selectors.entities_by_kind(archive_version(request))
    names = {e.pk: e.name for entities in by_kind.values() for e in entities}
    parent_of = dict(Agency.objects.values_list("pk", "parent_id"))
    status_of = dict(Program.objects.values_list("pk", "status"))
    for kind in EntityKind:
        for e in by_kind[kind.value]:
            writer.writerow(
                csv_row(
                    [
                        kind.value,
                        e.name,
                        e.acronym,
                        "; ".join(a.name for a in e.aliases.all()),
                        names.get(parent_of.get(e.pk), ""),
                        status_of.get(e.pk, ""),
                        e.article_count,
                        e.description,
                        request.build_absolute_uri(e.get_absolute_url()),
                    ]
                )
            )
    return response


@require_safe
@public_page
def relationships_csv(request):
    response = _csv_response("archive-relationships.csv")
    writer = csv.writer(response)
    writer.writerow(
        ["subject", "relationship", "object", "amount", "period", "quote", "article", "article_url"]
    )
    rows = Relationship.objects.select_related("subject", "object", "article").order_by(
        "subject__name", "kind", "object__name", "id"
    )
    for r in rows.iterator(chunk_size=BATCH):
        writer.writerow(
            csv_row(
                [
                    r.subject.name,
                    r.get_kind_display(),
                    r.object.name,
                    r.amount,
                    r.period,
                    r.quote,
                    r.article.title,
                    request.build_absolute_uri(r.article.get_absolute_url()),
                ]
            )
        )
    return response


def _article_lines(request):
    """Every article as a JSON line, BATCH at a time (keyset on id: each batch one query for
    the articles and one for their entities, whatever the archive's size)."""
    last = 0
    encoder = _Encoder(ensure_ascii=False)
    while True:
        batch = list(Article.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        mentions: dict[int, list[Mention]] = {}
        for m in (
            Mention.objects.visible()
            .filter(article__in=batch)
            .select_related("entity")
            .order_by("-count", "entity__name")
        ):
            mentions.setdefault(m.article_id, []).append(m)
        for a in batch:
            data = article_data(
                request, a, **entities_by_kind(request, mentions.get(a.pk, [])), body=a.body
            )
            yield encoder.encode(data) + "\n"
        last = batch[-1].pk


@require_safe
@public_page
def articles_jsonl(request):
    content_type = "application/x-ndjson; charset=utf-8"
    if request.method == "HEAD":  # the headers alone: read nothing
        response = HttpResponse(content_type=content_type)
    else:
        response = StreamingHttpResponse(_article_lines(request), content_type=content_type)
    response["Content-Disposition"] = 'attachment; filename="archive-articles.jsonl"'
    return response
