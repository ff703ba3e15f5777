"""One settings module, configured by the environment.

Safe by default: DEBUG is off unless asked for (DEBUG=1; `make run` and the tests ask).
With DEBUG off the site is in production and refuses to start without a strong SECRET_KEY
and an explicit ALLOWED_HOSTS. Production variables (README, "Deploying"):

    SECRET_KEY            50+ random characters (secrets.token_urlsafe(50))
    ALLOWED_HOSTS         comma-separated host names
    DATABASE_URL          postgres://user:pass@host:5432/name (SQLite when empty)
    ADMIN_URL             where the admin lives (default admin/)
    SECURE_SSL_REDIRECT   1 (default) behind TLS; 0 when a proxy already redirects
    SECURE_HSTS_SECONDS   default one year
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable; anything else is refused rather than read as "no" (DEBUG=2)."""
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1 or 0 (true/false, yes/no, on/off)")


def env_list(name: str, default: str = "") -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


def strong_key(key: str) -> bool:
    """Django's own bar for a production key (check --deploy, security.W009)."""
    return len(key) >= 50 and len(set(key)) >= 5 and not key.startswith("django-insecure-")


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in production (DEBUG is off). For development run with "
            "DEBUG=1, as `make run` does."
        )
    if not strong_key(SECRET_KEY):
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak for production: use 50+ random characters, e.g. "
            'python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must be set in production (DEBUG is off), e.g. "
            "ALLOWED_HOSTS=archive.example.org"
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "axes",
    "archive.apps.ArchiveConfig",
]

MIDDLEWARE = [
    # SQLite's "database is locked" answers 503 with Retry-After, never a 500 or debug page.
    "archive.middleware.DatabaseBusyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Gzip for public pages, feeds and API only (BREACH: never the admin, cookies, CSRF).
    "archive.middleware.PublicGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last: it reads the outcome of authentication (django-axes).
    "axes.middleware.AxesMiddleware",
]

# Admin login attempts are limited per address and per user name (django-axes): after
# AXES_FAILURE_LIMIT failures either is locked out for AXES_COOLOFF_TIME.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
# Production runs behind one reverse proxy (gunicorn binds 127.0.0.1): the client's address
# is then the last X-Forwarded-For entry, not REMOTE_ADDR. 0 when nothing proxies.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))
AXES_CLIENT_IP_CALLABLE = "archive.middleware.client_ip"
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

# No inline script or style anywhere: every page's script and style come from our origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

ROOT_URLCONF = "archive.urls"
WSGI_APPLICATION = "archive.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# An empty DATABASE_URL means the default too (the Makefile's SQLite leg sets it empty).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL: readers never wait for a writer. IMMEDIATE: a write transaction takes the write
    # lock when it begins, so two writers queue (for up to `timeout` seconds) instead of
    # failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("SQLITE_TIMEOUT", "20")),
    }
else:
    # Connections come from psycopg's pool (Django closes none of them per request).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
            "timeout": int(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
        }
    }
    # Each test run gets its own PostgreSQL test database, so parallel runs never collide.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_DATABASE_NAME") or f"test_archive_{os.getpid()}"
    }

# Read replicas (docs/scaling.md): DATABASE_REPLICA_URLS, comma-separated PostgreSQL URLs of
# streaming replicas of DATABASE_URL, become "replica_1", "replica_2", ... Web requests read
# them; writes, the admin and an editor who just saved (for REPLICA_PIN_SECONDS) read the
# primary (archive/routers.py).
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "10"))
_replica_urls = env_list("DATABASE_REPLICA_URLS")
if _replica_urls:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL")
    for _i, _url in enumerate(_replica_urls, start=1):
        _replica = dj_database_url.parse(_url)
        if _replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: replica {_i} is not PostgreSQL")
        _replica["CONN_MAX_AGE"] = 0
        _replica["OPTIONS"] = {"pool": dict(DATABASES["default"]["OPTIONS"]["pool"])}
        # The test database is not replicated: in tests every replica alias reads it.
        _replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica_{_i}"] = _replica
    DATABASE_ROUTERS = ["archive.routers.PrimaryReplicaRouter"]
    MIDDLEWARE.append("archive.routers.ReplicaReadsMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SEEDS_DIR = BASE_DIR / "seeds"
FIXTURES_DIR = BASE_DIR / "fixtures"
# import_seeds refuses an article whose body is longer than this (characters), naming its
# file and line: one huge article would make every search and its page slow for everyone.
MAX_BODY_CHARS = int(os.environ.get("MAX_BODY_CHARS", "200000"))
SEARCH_PAGE_SIZE = 20
# Facet counts and the first pass of relevance ranking cover at most this many of the most
# recently added matches, so a search costs the same at 10 or 10 million articles; totals
# stay exact, and SEARCH_TITLE_WINDOW brings older matches whose title fits into the ranking.
SEARCH_WINDOW = int(os.environ.get("SEARCH_WINDOW", "2000"))
# Relevance also ranks up to this many older matches whose title holds every query word
# (found through a title index), so the best answer reaches page 1 whatever its age.
SEARCH_TITLE_WINDOW = int(os.environ.get("SEARCH_TITLE_WINDOW", "2000"))
# When at least SEARCH_TITLE_WINDOW older matches have the words in their title, a title is
# no distinction (ICE heads a third of all titles): only the newest SEARCH_TITLE_COMMON of
# them are ranked, which bounds what the title pass reads (docs/benchmarks.md).
SEARCH_TITLE_COMMON = int(os.environ.get("SEARCH_TITLE_COMMON", "200"))
# One search may run this long (ms) before it is stopped with archive.search.SearchTimeout
# (PostgreSQL statement_timeout, SQLite progress handler); 0 = no limit.
SEARCH_TIMEOUT_MS = int(os.environ.get("SEARCH_TIMEOUT_MS", "3000"))
API_PAGE_SIZE = 50
# What state.remember() keeps: the pages' aggregates (entity counts, timelines, "named
# alongside", articles per year), keyed by the archive's last change. Per process (each
# gunicorn worker pays once per change); Django's Redis or memcached backend can share it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "archive",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "5000"))},
    },
    # Rendered public answers (views/caching.py), keyed by URL and the ETag: a repeat
    # reader of a page, a search or an API answer costs one query. Bounded: at most
    # PAGE_CACHE_ENTRIES answers of at most 256 KB each, per process.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("PAGE_CACHE_ENTRIES", "500"))},
    },
}
PAGE_KEEP_SECONDS = 24 * 3600  # a bound on memory use; freshness comes from the key
# An entity page lists this many articles per page, and no page past ENTITY_MAX_PAGES (the
# year and "named with" filters narrow further): an OFFSET that deep costs as much as a scan.
ENTITY_PAGE_SIZE = 20
ENTITY_MAX_PAGES = 50
# Public pages, feeds and API: how long browsers and shared caches reuse a page before
# revalidating it (ETag / Last-Modified from the archive's last change).
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "60"))
# Relinking every article (after an editor changes names) runs outside the request:
# "subprocess" starts `manage.py relink --job N` detached when the change commits;
# "inline" runs it at once, in the same process and transaction (the tests use it).
RELINK_RUNNER = os.environ.get("RELINK_RUNNER", "subprocess")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A year with subdomains: what browsers' preload lists require before they take a site.
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
