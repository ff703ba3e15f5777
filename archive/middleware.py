"""The archive's own middleware (settings.MIDDLEWARE says where each one sits).

PublicGZipMiddleware   Django's GZipMiddleware, for public pages, feeds, API and CSV only.
                       Compressing a response that holds a secret next to text an attacker
                       chose lets them guess the secret from its compressed size (BREACH),
                       so nothing of the admin's, nothing that sets a cookie or holds a CSRF
                       token, and nothing that varies by who asks, is compressed.
DatabaseBusyMiddleware SQLite's "database is locked" (a writer waited `timeout` seconds for
                       another) answers 503 with a short page and Retry-After, never a 500,
                       a traceback or the debug page.
"""

import logging
import re

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import add_never_cache_headers, has_vary_header, patch_vary_headers

logger = logging.getLogger(__name__)

COMPRESSIBLE_TYPES = {
    "text/html",
    "application/json",
    "application/atom+xml",
    "text/csv",
}


def is_admin(request) -> bool:
    """Is this a request for the admin (under settings.ADMIN_URL)? The one test, read by
    the compression rules here and by the replica router."""
    return request.path_info.startswith("/" + settings.ADMIN_URL)


def public_and_compressible(request, response) -> bool:
    content_type = response.get("Content-Type", "").partition(";")[0].strip().lower()
    return (
        content_type in COMPRESSIBLE_TYPES
        and not is_admin(request)
        and not response.cookies
        # The page used a CSRF token (get_token), even where no cookie is set for it.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not has_vary_header(response, "Cookie")
    )


def public_not_modified(request, response) -> bool:
    """A 304 for a public page: it has no body or type, but says what the 200 would."""
    return response.status_code == 304 and not is_admin(request) and not response.cookies


class PublicGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if public_not_modified(request, response):
            # A 304 carries the Vary its 200 would have (RFC 9110, 15.4.5).
            patch_vary_headers(response, ("Accept-Encoding",))
            return response
        if not public_and_compressible(request, response):
            return response
        return super().process_response(request, response)


BUSY_MESSAGE = "The archive is busy; try again in a moment."
BUSY_PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    "<title>The archive is busy</title></head>\n"
    f"<body><p>{BUSY_MESSAGE}</p></body></html>\n"
)
RETRY_AFTER_SECONDS = 5
_LOCKED = re.compile(r"database (table )?is locked", re.IGNORECASE)


def is_database_locked(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and bool(_LOCKED.search(str(exc)))


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_locked(exception):
            return None
        logger.warning("Database locked: %s %s answered 503", request.method, request.path)
        response = HttpResponse(BUSY_PAGE, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        add_never_cache_headers(response)
        return response


def client_ip(request) -> str:
    """The client's address for login throttling (django-axes). Behind TRUSTED_PROXY_COUNT
    reverse proxies REMOTE_ADDR is the nearest proxy's, the same for everyone: read the
    address that many hops from the right of X-Forwarded-For, which the proxies append to
    and a client cannot forge past them."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")
