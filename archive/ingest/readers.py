"""Read seed files into RawArticle records. Nothing here touches the database.

Two formats:
- plain text (*.txt): articles joined end to end, one paragraph per line, split by the
  `starts_with` anchors of fixtures/articles.json, which also carries each article's facts;
- Markdown (*.md): one or more articles, each opening with a front-matter block
  (title, published, source_url, publication, dept, slug) between `---` lines.
"""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify

from ..names.text import WITHOUT_MARKS
from . import IngestError


@dataclass
class RawArticle:
    slug: str
    title: str
    body: str
    published: dt.date | None
    publication: str
    source_url: str
    dept: str
    facts_note: str
    seed_file: str
    seed_line: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()


_SLUG = re.compile(r"^[-a-z0-9_]{1,200}$")
_url = URLValidator(schemes=["http", "https"])


def checked(raw: RawArticle, where: str) -> RawArticle:
    """Refuse, in one line naming the place, what would break a page later."""
    if len(raw.title) > 400:
        raise IngestError(f"{where}: title longer than 400 characters")
    if not _SLUG.match(raw.slug):
        raise IngestError(
            f"{where}: slug {raw.slug!r} must be 1-200 lower-case letters, digits, - or _"
        )
    if raw.source_url:
        try:
            _url(raw.source_url)
        except ValidationError:
            raise IngestError(
                f"{where}: source_url {raw.source_url!r} is not an http(s) address"
            ) from None
    # Matches are marked with private-use characters (names.text.mark): text never carries
    # them, so escaped engine output can only hold ours.
    raw.title = raw.title.translate(WITHOUT_MARKS)
    raw.body = raw.body.translate(WITHOUT_MARKS)
    return raw


def _article(
    facts: dict, paragraphs: list[str], path: Path, line: int, where: str, publication: str = ""
) -> RawArticle:
    """One article from its facts (a manifest entry or a front-matter block), checked."""
    title = facts.get("title", "").strip()
    return checked(
        RawArticle(
            slug=facts.get("slug") or slugify(title)[:200] or f"article-{line}",
            title=title,
            body="\n".join(paragraphs),
            published=parse_date(facts.get("published", ""), where),
            publication=facts.get("publication", publication),
            source_url=facts.get("source_url", ""),
            dept=facts.get("dept", ""),
            facts_note=facts.get("facts_note", ""),
            seed_file=path.name,
            seed_line=line,
        ),
        where,
    )


def read_text(path: Path) -> list[str]:
    """The file's lines, or an IngestError naming the file and line of the first bad byte."""
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if not path.is_file():
        raise IngestError(f"{path}: not a file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_date(value: str, where: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise IngestError(f"{where}: bad date {value!r} (expected YYYY-MM-DD)") from None


def load_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IngestError(f"{path}: manifest not found") from None
    except json.JSONDecodeError as exc:
        raise IngestError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None


def read_plain(path: Path, manifest: dict) -> list[RawArticle]:
    entries = manifest.get("seeds", {}).get(path.name)
    if entries is None:
        raise IngestError(
            f"{path}: no entry for {path.name!r} in the article manifest; add its articles' "
            "starting words and facts to fixtures/articles.json, or use the Markdown format"
        )
    lines = read_text(path)
    starts: list[int] = []
    for n, entry in enumerate(entries, 1):
        anchor = entry.get("starts_with", "")
        if not anchor.strip():
            raise IngestError(f"{path}: manifest article {n} has no starting words (starts_with)")
        hits = [i for i, line in enumerate(lines) if line.startswith(anchor)]
        where = f"{path}: article {n} ({entry.get('slug') or entry.get('title')!r})"
        if not hits:
            raise IngestError(
                f"{where}: starting words {anchor!r} not found at the start of any line"
            )
        if len(hits) > 1:
            found = ", ".join(str(i + 1) for i in hits)
            raise IngestError(
                f"{where}: starting words {anchor!r} found on several lines ({found})"
            )
        if starts and hits[0] <= starts[-1]:
            raise IngestError(
                f"{path}:{hits[0] + 1}: article {n} starts before article {n - 1}; "
                "the manifest must list articles in file order"
            )
        starts.append(hits[0])
    if starts and any(line.strip() for line in lines[: starts[0]]):
        first = next(i for i, line in enumerate(lines) if line.strip())
        raise IngestError(f"{path}:{first + 1}: text before the first article's starting words")

    publication = manifest.get("publication", "")
    articles = []
    for n, (entry, start) in enumerate(zip(entries, starts, strict=True), 1):
        end = starts[n] if n < len(starts) else len(lines)
        paragraphs = [line.strip() for line in lines[start:end] if line.strip()]
        where = f"{path}:{start + 1}: article {n}"
        if not "".join(paragraphs).strip():
            raise IngestError(f"{where}: empty article")
        title = entry.get("title", "").strip()
        if not title:
            raise IngestError(f"{where}: the manifest gives no title")
        articles.append(_article(entry, paragraphs, path, start + 1, where, publication))
    return articles


_FRONT_KEYS = {"title", "published", "source_url", "publication", "dept", "slug", "facts_note"}


def read_markdown(path: Path) -> list[RawArticle]:
    lines = read_text(path)
    articles: list[RawArticle] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if lines[i].strip() != "---":
            raise IngestError(f"{path}:{i + 1}: expected a front-matter block starting with ---")
        block_start = i
        i += 1
        meta: dict[str, str] = {}
        while i < len(lines) and lines[i].strip() != "---":
            line = lines[i]
            if line.strip():
                key, sep, value = line.partition(":")
                key = key.strip().lower()
                if not sep or key not in _FRONT_KEYS:
                    raise IngestError(
                        f"{path}:{i + 1}: expected 'key: value' with key one of "
                        f"{', '.join(sorted(_FRONT_KEYS))}"
                    )
                meta[key] = value.strip().strip('"').strip("'").strip()
            i += 1
        if i >= len(lines):
            raise IngestError(
                f"{path}:{block_start + 1}: front-matter block is never closed with ---"
            )
        i += 1  # the closing ---
        body_start = i
        # The body runs to the next line that is exactly --- followed by a key: value line.
        while i < len(lines) and not _opens_block(lines, i):
            i += 1
        where = f"{path}:{block_start + 1}"
        title = meta.get("title", "")
        if not title:
            raise IngestError(f"{where}: front matter has no title")
        paragraphs = _paragraphs(lines[body_start:i])
        if not paragraphs:
            raise IngestError(f"{where}: empty article {title!r}")
        articles.append(_article(meta, paragraphs, path, block_start + 1, where))
    if not articles:
        raise IngestError(f"{path}:1: no articles (each starts with a --- front-matter block)")
    return articles


def _opens_block(lines: list[str], i: int) -> bool:
    if lines[i].strip() != "---":
        return False
    nxt = next((line for line in lines[i + 1 :] if line.strip()), "")
    key = nxt.partition(":")[0].strip().lower()
    return key in _FRONT_KEYS


def _paragraphs(lines: list[str]) -> list[str]:
    """Markdown paragraphs (blank-line separated, soft-wrapped lines joined) as single lines."""
    out, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def read_path(path: Path, manifest: dict) -> list[RawArticle]:
    if path.suffix.lower() in {".md", ".markdown"}:
        return read_markdown(path)
    return read_plain(path, manifest)
