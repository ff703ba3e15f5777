"""Gunicorn settings for production: `gunicorn -c archive/gunicorn.conf.py` (what `make serve`
runs, with DEBUG=0 and the production variables archive/settings.py asks for).

    WEB_CONCURRENCY   worker processes (default: 2 x cores + 1, at most MAX_WORKERS)
    PORT              port to listen on (default 8000)
    BIND              address:port, instead of 127.0.0.1:PORT (e.g. 0.0.0.0:8000 in a
                      container whose port a proxy reaches from outside)
    GUNICORN_TIMEOUT  seconds a request may take before its worker is restarted (30)

Each worker is a process with its own PostgreSQL pool (up to DATABASE_POOL_MAX connections),
so workers x DATABASE_POOL_MAX must stay under the server's max_connections (100 by
default): hence the cap. On SQLite the workers share the file; WAL lets them read while
one writes.
"""

import os

MAX_WORKERS = 8


def default_workers(cores: int | None) -> int:
    return max(1, min(2 * (cores or 1) + 1, MAX_WORKERS))


def worker_count() -> int:
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return max(1, int(configured))
    return default_workers(os.cpu_count())


wsgi_app = "archive.wsgi:application"
workers = worker_count()
bind = [os.environ.get("BIND") or f"127.0.0.1:{int(os.environ.get('PORT', '8000'))}"]

# Requests: a search of a large archive takes a few seconds at worst; a worker stuck for
# longer is restarted. Keep-alive is short: a proxy in front reuses connections.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# A search address holds up to 1,000 characters of query, percent-encoded (up to 9 bytes a
# character), plus filters: allow the longest request line gunicorn accepts.
limit_request_line = 8190
# Restart each worker now and then (staggered), so a slow leak never grows unbounded.
max_requests = 2000
max_requests_jitter = 200

# Logs to stdout/stderr, for the supervisor (systemd, a container runtime) to collect.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "surveillance-archive"
# No control socket: its default path is one per user, which a second server would share.
control_socket_disable = True
