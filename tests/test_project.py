"""Project hygiene: no pending migrations, production settings pass Django's deploy check."""

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


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 64 + "-a-long-random-production-key-for-the-deploy-check",
        "ALLOWED_HOSTS": "archive.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_off_without_secret_key_refuses_to_start():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("path", ["/feed/", "/agencies/ice/feed/", "/programs/clear/feed/"])
def test_atom_feeds(seeded, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert b"<entry>" in response.content


def test_entity_feed_lists_exactly_its_articles(seeded, client):
    body = client.get("/programs/clear/feed/").content.decode()
    assert body.count("<entry>") == 2
