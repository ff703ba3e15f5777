"""Read seed files into RawArticle records. Nothing here touches the database; what a
column holds is read from the model, and checked here, so every engine refuses the same.

Two formats:
- plain text (*.txt): articles joined end to end, one paragraph per line, split by the
  `starts_with` anchors of fixtures/articles.json, which also carries each article's facts;
- Markdown (*.md): one or more articles, each opening with a front-matter block
  (title, published, source_url, publication, dept, slug) between `---` lines.
"""

import datetime as dt
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, fields
from functools import cached_property, lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify
from unidecode import unidecode

from ..models import Article
from ..names.text import MARK_END, MARK_START, WITHOUT_MARKS
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
    # Whether the file gave the slug (front matter, manifest) or it was made from the title.
    slug_given: bool = False

    # Computed once (an import reads them many times): read only once the reader has
    # finished with the article (checked() is the last to change its text).
    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()

    @cached_property
    def source_key(self) -> str:
        return source_key(self.source_url, self.seed_file, self.content_hash)

    @property
    def where(self) -> str:
        return f"{self.seed_file}:{self.seed_line}"


def source_key(source_url: str, seed_file: str, content_hash: str) -> str:
    """An article's identity (Article.source_key): its source address, or without one its
    seed file and text. Never its slug, which is only how its page is addressed. (Migration
    0012 gave the articles already stored their keys by this rule.)"""
    basis = f"url:{source_url}" if source_url else f"text:{seed_file}:{content_hash}"
    return hashlib.sha256(basis.encode()).hexdigest()


def _limit(name: str) -> int | None:
    return Article._meta.get_field(name).max_length


SLUG_LIMIT = _limit("slug")
_SLUG = re.compile(rf"^[-a-z0-9_]{{1,{SLUG_LIMIT}}}$")
_url = URLValidator(schemes=["http", "https"])
# The text fields an article is stored with, and the longest each column holds (the model's
# own numbers: SQLite stores anything, PostgreSQL refuses more, so both are checked here).
TEXT_FIELDS = ("title", "slug", "body", "publication", "source_url", "dept", "facts_note")
LIMITS = {
    f.name: _limit(f.name)
    for f in fields(RawArticle)
    if f.type is str and _limit(f.name) is not None
}
# Dates an article may carry: YYYY-MM-DD exactly, from 1900 to next year.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
FIRST_YEAR = 1900


_TAIL = re.compile(r"[/?#]\S*\Z")


@lru_cache(maxsize=1024)
def _valid_head(head: str) -> bool:
    try:
        _url(head)
    except ValidationError:
        return False
    return True


def valid_url(url: str) -> None:
    """URLValidator(url), at a fraction of its cost for many addresses on few sites: an
    address is "scheme://site" then a path, query or fragment without whitespace, and when
    the first part passes the validator, the whole does (its pattern ends with exactly that
    tail, and the host it checks is the same); the first part's answer is remembered. Any
    other case is decided by the validator itself."""
    scheme, sep, rest = url.partition("://")
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=-1)
    if (
        sep
        and cut > 0
        and len(url) <= _url.max_length
        and not _UNSAFE.intersection(url)
        and _TAIL.match(rest, cut)
        and _valid_head(url[: len(scheme) + 3 + cut])
    ):
        return
    _url(url)


_UNSAFE = frozenset("\t\r\n")


def slug_for(title: str) -> str:
    """A readable ASCII slug for a title in any script (transliterated), or, when nothing
    readable remains (emoji, symbols), a short stable hash of the title."""
    slug = slugify(unidecode(title))[:SLUG_LIMIT].strip("-_")
    return slug or f"article-{hashlib.sha256(title.encode()).hexdigest()[:8]}"


def checked(raw: RawArticle, where: str) -> RawArticle:
    """Refuse, in one line naming the place, what would break a page later or that a
    database column would not hold (the same on every engine)."""
    for name in TEXT_FIELDS:
        value = getattr(raw, name)
        if "\x00" in value:
            raise IngestError(f"{where}: {name} holds a NUL byte (\\x00)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise IngestError(f"{where}: {name} is not valid Unicode (a lone surrogate)") from None
    for name, limit in LIMITS.items():
        n = len(getattr(raw, name))
        if n > limit:
            raise IngestError(f"{where}: {name} is {n} characters; the limit is {limit}")
    # The body has no column limit, but one huge article slows every search and its page:
    # settings.MAX_BODY_CHARS (documented in README) is where the import draws the line.
    if (n := len(raw.body)) > (limit := settings.MAX_BODY_CHARS):
        raise IngestError(f"{where}: body is {n} characters; the limit is {limit} (MAX_BODY_CHARS)")
    if not _SLUG.match(raw.slug):
        raise IngestError(
            f"{where}: slug {raw.slug!r} must be 1-{SLUG_LIMIT} lower-case letters, digits, - or _"
        )
    if raw.source_url:
        try:
            valid_url(raw.source_url)
        except ValidationError:
            raise IngestError(
                f"{where}: source_url {raw.source_url!r} is not an http(s) address"
            ) from None
    # Matches are marked with private-use characters (names.text.mark): text never carries
    # them, so escaped engine output can only hold ours.
    # (str.translate is slow on a long text; the marks are almost never there.)
    if MARK_START in raw.title or MARK_END in raw.title:
        raw.title = raw.title.translate(WITHOUT_MARKS)
    if MARK_START in raw.body or MARK_END in raw.body:
        raw.body = raw.body.translate(WITHOUT_MARKS)
    return raw


def _article(
    facts: dict, paragraphs: list[str], path: Path, line: int, where: str, publication: str = ""
) -> RawArticle:
    """One article from its facts (a manifest entry or a front-matter block), checked."""
    for key, value in facts.items():
        if not isinstance(value, str):
            raise IngestError(f"{where}: {key} must be text, not {json.dumps(value)[:40]}")
    title = facts.get("title", "").strip()
    return checked(
        RawArticle(
            slug=facts.get("slug") or slug_for(title),
            slug_given=bool(facts.get("slug")),
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


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if not path.is_file():
        raise IngestError(f"{path}: not a file")
    return path.read_bytes()


def read_text(path: Path, data: bytes | None = None) -> list[str]:
    """The file's lines (of `data`, its bytes if already read), or an IngestError naming
    the file and line of the first bad byte."""
    if data is None:
        data = read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    if (at := text.find("\x00")) >= 0:
        line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        raise IngestError(f"{path}:{line}: a NUL byte (\\x00) in column {column}; seeds are text")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_date(value: str, where: str) -> dt.date | None:
    """YYYY-MM-DD exactly (not 20230214, not 2023-W07-2), a real day, from 1900 to next year."""
    value = (value or "").strip()
    if not value:
        return None
    last = dt.date.today().year + 1
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise IngestError(f"{where}: bad date {value!r} (expected YYYY-MM-DD)") from None
    if not FIRST_YEAR <= date.year <= last:
        raise IngestError(
            f"{where}: bad date {value!r} (expected YYYY-MM-DD from {FIRST_YEAR} to {last})"
        )
    return date


def load_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IngestError(f"{path}: manifest not found") from None
    except json.JSONDecodeError as exc:
        raise IngestError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None


def read_plain(path: Path, manifest: dict, data: bytes | None = None) -> list[RawArticle]:
    entries = manifest.get("seeds", {}).get(path.name)
    if entries is None:
        raise IngestError(
            f"{path}: no entry for {path.name!r} in the article manifest; add its articles' "
            "starting words and facts to fixtures/articles.json, or use the Markdown format"
        )
    lines = read_text(path, data)
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


def read_markdown(path: Path, data: bytes | None = None) -> list[RawArticle]:
    lines = read_text(path, data)
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
        while i < len(lines) and (lines[i].strip() != "---" or not _opens_block(lines, i)):
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
    nxt = next((line for line in itertools.islice(lines, i + 1, None) if line.strip()), "")
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


def is_markdown(path: Path) -> bool:
    return path.suffix.lower() in {".md", ".markdown"}


def read_path(path: Path, manifest: dict, data: bytes | None = None) -> list[RawArticle]:
    """The file's articles; `data`: its bytes, when already read (see fingerprint)."""
    if is_markdown(path):
        return read_markdown(path, data)
    return read_plain(path, manifest, data)


# Bump when a change to this module changes what a file reads as: every file is then read
# again by the next import (ImportedFile.fingerprint).
READ_RULES = "1"


def fingerprint(path: Path, data: bytes, manifest: dict) -> str:
    """Everything that decides what `path` reads as: its name and bytes, its manifest entry
    and the publication (plain text), the reading rules and the limits they check. Equal
    fingerprints read as equal articles (the importer skips such a file unparsed)."""
    h = hashlib.sha256()
    parts = [READ_RULES, path.name, str(settings.MAX_BODY_CHARS), repr(sorted(LIMITS.items()))]
    if not is_markdown(path):
        entries = manifest.get("seeds", {}).get(path.name)
        parts += [json.dumps(entries, sort_keys=True), repr(manifest.get("publication", ""))]
    for part in parts:
        h.update(part.encode())
        h.update(b"\x1f")
    h.update(data)
    return h.hexdigest()
