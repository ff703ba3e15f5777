"""How to cite an archived article: Chicago, APA and MLA as text for the page, BibTeX, RIS
and CSL-JSON as downloads for reference managers.

Only what is known is said. No article has a known author, so every style uses its
no-author form; an undated article is "n.d." (Chicago, APA) or has no date (MLA, BibTeX,
RIS, CSL-JSON); an article without an original address cites the archive's alone. Each
citation gives the original's address and the archive's permanent copy with the date it
was archived.
"""

import json
from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from ..models import Article
from .caching import public_page

ARCHIVE_NAME = "Surveillance Reporting Archive"


def _long(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"  # May 27, 2022


def _mla(d: date) -> str:
    month = f"{d:%b}." if len(f"{d:%B}") > 4 else f"{d:%B}"  # MLA abbreviates long months
    return f"{d.day} {month} {d.year}"  # 27 May 2022, 13 Dec. 2021


@dataclass(frozen=True)
class Citation:
    title: str
    publication: str
    published: date | None
    source_url: str  # "" when unknown
    archive_url: str
    archived: date
    key: str  # the article's slug: a stable citation key

    @classmethod
    def of(cls, article: Article, archive_url: str) -> "Citation":
        source = article.source_url if article.source_url.startswith("http") else ""
        return cls(
            article.title,
            article.publication or "",
            article.published,
            source,
            archive_url,
            article.created.date(),
            article.slug,
        )

    @property
    def _archived_note(self) -> str:
        return f"Archived at {self.archive_url} on {_long(self.archived)}."

    # -- text styles ----------------------------------------------------------------------
    def chicago(self) -> str:
        when = _long(self.published) if self.published else "n.d."
        parts = [f"“{self.title}.”"]
        parts.append(f"{self.publication}, {when}." if self.publication else f"{when}.")
        if self.source_url:
            parts.append(f"{self.source_url}.")
        parts.append(self._archived_note)
        return " ".join(parts)

    def apa(self) -> str:
        when = (
            f"{self.published.year}, {self.published:%B} {self.published.day}"
            if self.published
            else "n.d."
        )
        parts = [f"{self.title}. ({when})."]
        if self.publication:
            parts.append(f"{self.publication}.")
        parts.append(self.source_url or self.archive_url)
        if self.source_url:
            parts.append(f"(Archived copy: {self.archive_url})")
        return " ".join(parts)

    def mla(self) -> str:
        head = f"“{self.title}.”"
        details = [
            d for d in (self.publication, _mla(self.published) if self.published else "") if d
        ]
        details.append((self.source_url or self.archive_url).removeprefix("https://"))
        tail = f"Archived at {self.archive_url.removeprefix('https://')}, {_mla(self.archived)}."
        return f"{head} {', '.join(details)}. {tail}"

    def styles(self) -> list[tuple[str, str]]:
        return [("Chicago", self.chicago()), ("APA", self.apa()), ("MLA", self.mla())]

    # -- files ---------------------------------------------------------------------------
    def bibtex(self) -> str:
        fields = [("title", self.title)]
        if self.publication:
            fields.append(("journal", self.publication))
        if self.published:
            fields += [
                ("year", str(self.published.year)),
                ("month", f"{self.published:%b}".lower()),
            ]
            fields.append(("date", self.published.isoformat()))
        fields.append(("url", self.source_url or self.archive_url))
        fields.append(("note", self._archived_note))
        body = ",\n".join(f"  {name} = {{{_bibtex_escape(value)}}}" for name, value in fields)
        return f"@article{{{_bibtex_key(self.key)},\n{body}\n}}\n"

    def ris(self) -> str:
        lines = [("TY", "NEWS"), ("TI", self.title)]
        if self.publication:
            lines.append(("T2", self.publication))
        if self.published:
            lines += [("PY", str(self.published.year)), ("DA", f"{self.published:%Y/%m/%d}")]
        lines.append(("UR", self.source_url or self.archive_url))
        lines.append(("N1", self._archived_note))
        lines.append(("ER", ""))
        # One line each: a newline inside a value would start a new (bogus) tag.
        return "".join(f"{tag}  - {' '.join(value.split())}\r\n" for tag, value in lines)

    def csl_json(self) -> str:
        item = {
            "id": self.key,
            "type": "article-newspaper",
            "title": self.title,
            "URL": self.source_url or self.archive_url,
            "archive": ARCHIVE_NAME,
            "archive_location": self.archive_url,
            "accessed": {
                "date-parts": [[self.archived.year, self.archived.month, self.archived.day]]
            },
        }
        if self.publication:
            item["container-title"] = self.publication
        if self.published:
            item["issued"] = {"date-parts": [_parts(self.published)]}
        return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


def _parts(d: date) -> list[int]:
    return [d.year, d.month, d.day]


def _bibtex_key(slug: str) -> str:
    return "".join(c for c in slug if c.isalnum() or c in "-_:") or "article"


_BIBTEX_SPECIAL = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)


def _bibtex_escape(value: str) -> str:
    """A value BibTeX reads as the text itself: its special characters escaped, so a title
    can neither close the field nor run a command."""
    return " ".join(value.split()).translate(_BIBTEX_SPECIAL)


FORMATS = {
    # name: (content type, file extension, method)
    "bib": ("application/x-bibtex; charset=utf-8", "bib", Citation.bibtex),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris", Citation.ris),
    "json": (
        "application/vnd.citationstyles.csl+json; charset=utf-8",
        "json",
        Citation.csl_json,
    ),
}


def citation_for(request, article: Article) -> Citation:
    return Citation.of(article, request.build_absolute_uri(article.get_absolute_url()))


@require_safe
@public_page
def download(request, slug: str, fmt: str):
    if fmt not in FORMATS:
        raise Http404("No such citation format.")
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        raise Http404("No article with that address.")
    content_type, extension, write = FORMATS[fmt]
    response = HttpResponse(write(citation_for(request, article)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_bibtex_key(slug)}.{extension}"'
    return response
