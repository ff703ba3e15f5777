"""Project hygiene: no pending migrations; the settings are safe by default (production
refuses to start without a strong key and its hosts, and passes Django's deploy check); feeds.

The settings are read in subprocesses (`manage.py check`), each with a clean environment."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from .spec import ROOT


def test_no_pending_migrations(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


# -- settings: safe by default (issue 10) ---------------------------------------------------------
# Every variable archive/settings.py reads that changes what these tests look at; each run
# starts without them, so the developer's or CI's environment cannot decide the outcome.
SETTINGS_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DATABASE_REPLICA_URLS",
    "ADMIN_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "CSRF_TRUSTED_ORIGINS",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_MINUTES",
)
STRONG_KEY = "pX7-vQ2kLm9Rt4Wz8Nc1Bf6Hj3Ds5Ga0Ye_uK2oI9eT4rW7qZ1xC8vB5nM3lP6"
HOST = "archive.example.org"
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": HOST}


def run_settings(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    """`python <args>` with archive.settings (not the tests' settings, which turn DEBUG on)
    and exactly `variables` of the settings' environment."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env |= {"DJANGO_SETTINGS_MODULE": "archive.settings", **variables}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def check(*options: str, **variables: str) -> subprocess.CompletedProcess:
    return run_settings(["manage.py", "check", *options], **variables)


@pytest.mark.parametrize(
    "variables, message",
    [
        # DEBUG is a yes/no: anything else is refused, never read as "no" (or "yes").
        ({**PRODUCTION, "DEBUG": "2"}, "DEBUG='2': use 1 or 0"),
        ({**PRODUCTION, "DEBUG": "maybe"}, "DEBUG='maybe': use 1 or 0"),
        # DEBUG is off unless asked for: without it the settings are production's.
        ({}, "SECRET_KEY must be set"),
        ({"DEBUG": "0"}, "SECRET_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "", "ALLOWED_HOSTS": HOST}, "SECRET_KEY must be set"),
        ({**PRODUCTION, "SECRET_KEY": "short"}, "SECRET_KEY is too weak"),
        ({**PRODUCTION, "SECRET_KEY": "a" * 50}, "SECRET_KEY is too weak"),
        ({**PRODUCTION, "SECRET_KEY": "abcd" * 20}, "SECRET_KEY is too weak"),  # 4 characters
        ({**PRODUCTION, "SECRET_KEY": "django-insecure-" + STRONG_KEY}, "SECRET_KEY is too weak"),
        ({**PRODUCTION, "SECRET_KEY": STRONG_KEY[:49]}, "SECRET_KEY is too weak"),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must be set"),
        ({**PRODUCTION, "ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS must be set"),
        ({"DEBUG": "0", "SECRET_KEY": STRONG_KEY}, "ALLOWED_HOSTS must be set"),
    ],
    ids=[
        "DEBUG=2",
        "DEBUG=maybe",
        "no-DEBUG-no-key",
        "DEBUG=0-no-key",
        "empty-key",
        "short-key",
        "50-a",
        "few-characters",
        "django-insecure",
        "49-characters",
        "empty-hosts",
        "blank-hosts",
        "no-hosts",
    ],
)
def test_settings_refuse_to_start(variables, message):
    result = check(**variables)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr, result.stderr[-2000:]


def test_production_settings_pass_check_deploy():
    result = check("--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("debug", ["1", "true", "yes", "on", " TRUE "])
def test_development_needs_nothing_but_debug(debug):
    result = check(DEBUG=debug)
    assert result.returncode == 0, result.stderr


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
from django.urls import reverse
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_HSTS_PRELOAD": s.SECURE_HSTS_PRELOAD,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF,
    "SECURE_REFERRER_POLICY": s.SECURE_REFERRER_POLICY,
    "SECURE_CROSS_ORIGIN_OPENER_POLICY": s.SECURE_CROSS_ORIGIN_OPENER_POLICY,
    "AXES_FAILURE_LIMIT": s.AXES_FAILURE_LIMIT,
    "AXES_COOLOFF_MINUTES": s.AXES_COOLOFF_TIME.total_seconds() / 60,
    "AXES_LOCKOUT_PARAMETERS": s.AXES_LOCKOUT_PARAMETERS,
    "admin": reverse("admin:index"),
}))
"""


def production_settings(**variables: str) -> dict:
    result = run_settings(["-c", SHOW_SETTINGS], **{**PRODUCTION, **variables})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_values():
    """What production runs with when only the three required variables are set."""
    assert production_settings() == {
        "DEBUG": False,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_MINUTES": 15,
        "AXES_LOCKOUT_PARAMETERS": ["ip_address", "username"],
        "admin": "/admin/",
    }


@pytest.mark.parametrize("value", ["backstage", "/backstage/", "backstage/"])
def test_admin_url_is_configurable(value):
    assert production_settings(ADMIN_URL=value)["admin"] == "/backstage/"


@pytest.mark.parametrize("path", ["/feed/", "/agencies/ice/feed/", "/programs/clear/feed/"])
def test_atom_feeds(seeded, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert b"<entry>" in response.content


def test_entity_feed_lists_exactly_its_articles(seeded, client):
    body = client.get("/programs/clear/feed/").content.decode()
    assert body.count("<entry>") == 2
