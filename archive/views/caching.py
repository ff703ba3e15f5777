"""Conditional GET and caching for the public pages, feeds and API (never the admin).

A public response depends on its URL (path, query string, host and scheme, which the API's
and feeds' absolute links use), on the archive's data and on the code that renders it;
nothing else (no cookie, no user, no clock). So its validators are:

- Last-Modified   the later of the archive's last change (archive/state.py) and the release
- ETag            a digest of the same two, the release in full (every file's name and
                  content), so a deploy that changes a template or the static manifest
                  revalidates every page even when the data did not change

A repeat request whose If-None-Match or If-Modified-Since still holds gets 304 after one
query (the ArchiveState row), without running the view. Every answer also carries
Cache-Control "public, max-age=PAGE_CACHE_SECONDS": pages change only on an import or an
editor's save, so browsers and shared caches may reuse them that long, then revalidate.

The ETag is weak (W/"..."): it names what the page says, not its bytes, which gzip
(archive/middleware.py) changes; a GET compares weakly, so every copy revalidates, and the
200, the 304 and the compressed and plain copies all carry the same one.
"""

import hashlib
import time
from datetime import UTC, datetime
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.utils.cache import has_vary_header, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import condition

from .. import state

PACKAGE = Path(__file__).resolve().parent.parent
RELEASE_SUFFIXES = {".py", ".html", ".txt", ".xml"}


def _release_files():
    """(name, path) of every file a page's bytes depend on besides the data."""
    for path in PACKAGE.rglob("*"):
        if path.suffix in RELEASE_SUFFIXES:
            yield str(path.relative_to(PACKAGE.parent)), path
    for folder in (Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", [])):
        for path in folder.rglob("*"):
            if path.is_file():
                yield f"templates:{path.relative_to(folder)}", path
    # Collected static files' hashed names, which the pages link to (production only).
    if settings.STATIC_ROOT:
        yield "staticfiles.json", Path(settings.STATIC_ROOT) / "staticfiles.json"


def _scan_release() -> tuple[datetime, str]:
    """(when the code last changed, a digest of it). The digest is of the files' names and
    contents, so every server running one release gives one ETag, wherever it is installed
    and whenever its files were written."""
    digest, newest = hashlib.sha256(), 0.0
    for name, path in sorted(_release_files()):
        try:
            content, mtime = path.read_bytes(), path.stat().st_mtime
        except OSError:  # no manifest before collectstatic
            continue
        newest = max(newest, mtime)
        digest.update(f"{name}\0{hashlib.sha256(content).hexdigest()}\n".encode())
    return datetime.fromtimestamp(newest, UTC), digest.hexdigest()


_release_once = cache(_scan_release)
_dev_scan: tuple[float, tuple[datetime, str]] | None = None
DEV_RESCAN_SECONDS = 1.0


def release() -> tuple[datetime, str]:
    """Scanned once per process in production. In development at most a second old, so a
    template edited under runserver is never answered with 304."""
    global _dev_scan
    if not settings.DEBUG:
        return _release_once()
    now = time.monotonic()
    if _dev_scan is None or now - _dev_scan[0] > DEV_RESCAN_SECONDS:
        _dev_scan = (now, _scan_release())
    return _dev_scan[1]


def archive_version(request) -> datetime | None:
    """The archive's last change, read once per request: the validators and the keys of the
    aggregates the page reads (state.remember) come from the same reading."""
    if not hasattr(request, "_archive_version"):
        request._archive_version = state.last_change()
    return request._archive_version


def validators(request) -> tuple[datetime | None, str | None]:
    """(Last-Modified, ETag) for a public response, computed once per request."""
    if not hasattr(request, "_archive_validators"):
        changed = archive_version(request)
        if changed is None:  # nothing recorded yet: answer in full, with no validators
            request._archive_validators = (None, None)
        else:
            code_time, code = release()
            etag = hashlib.sha256(f"{changed.isoformat()}|{code}".encode()).hexdigest()[:32]
            request._archive_validators = (max(changed, code_time), f'W/"{etag}"')
    return request._archive_validators


def _last_modified(request, *args, **kwargs):
    return validators(request)[0]


def _etag(request, *args, **kwargs):
    return validators(request)[1]


def cache_headers(response):
    """Public caching, unless the response sets a cookie (then only the browser may keep
    it) or the view chose its own."""
    if response.has_header("Cache-Control"):
        return response
    if response.cookies or response.status_code >= 500:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=settings.PAGE_CACHE_SECONDS)
    return response


PAGE_CACHE = "pages"
# A rendered answer kept only when it is this small or smaller: pages, API answers and feeds;
# never a 10,000-row export.
PAGE_CACHE_MAX_BYTES = 256 * 1024


def _page_key(request) -> str | None:
    """The answer's identity: its whole URL (the API's and feeds' absolute links carry the
    host and scheme) under the ETag, which names the archive's last change and the release.
    None when there is nothing recorded to key on yet."""
    _, etag = validators(request)
    if etag is None:
        return None
    url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return "page:" + hashlib.sha256(f"{etag}|{url}".encode()).hexdigest()


def _kept(view):
    """The view's answer, rendered once per URL and archive version in this process and
    read back after (settings.CACHES["pages"]). Exactly as fresh as the ETag it is keyed on:
    any change of the archive or of the code moves the key. Only plain public answers are
    kept: a 200 that sets no cookie, does not vary by cookie and is not streamed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        # A deployment whose CACHES names no "pages" cache keeps nothing (and never fails).
        keeping = request.method == "GET" and PAGE_CACHE in settings.CACHES
        key = _page_key(request) if keeping else None
        pages = caches[PAGE_CACHE] if key is not None else None
        if key is not None:
            kept = pages.get(key)
            if kept is not None:
                return kept
        response = view(request, *args, **kwargs)
        if getattr(response, "is_rendered", True) is False:
            response.render()  # a TemplateResponse (the sitemaps): its bytes are what is kept
        if (
            key is not None
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not has_vary_header(response, "Cookie")
            and len(response.content) <= PAGE_CACHE_MAX_BYTES
        ):
            pages.set(key, response, settings.PAGE_KEEP_SECONDS)
        return response

    return wrapper


def public_page(view):
    """A public page, feed or API view: 304 when the client's copy is current, validators
    and Cache-Control on every answer (304 included), and the rendered answer kept for the
    next reader of the same URL until the archive changes."""
    conditional = condition(etag_func=_etag, last_modified_func=_last_modified)(_kept(view))

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = conditional(request, *args, **kwargs)
        last_modified, _ = validators(request)
        if last_modified is not None:
            # Ours even where the view set its own (a feed's is its newest item's date),
            # so If-Modified-Since is compared with what was sent.
            response.headers["Last-Modified"] = http_date(last_modified.timestamp())
        return cache_headers(response)

    return wrapper
