"""/healthz, for a load balancer or a process supervisor: is this server able to answer from
its database? 200 "ok", or 503 naming the error's class (never its message, which may
carry a host or a user name). Never cached."""

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@require_safe
@never_cache
def healthz(request):
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # whatever the failure, the answer is "unhealthy", not a 500
        return _plain(f"database unavailable: {type(exc).__name__}", 503)
    return _plain("ok", 200)
