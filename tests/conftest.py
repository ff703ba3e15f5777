"""Shared fixtures. The seed is imported once per test session into the test database;
each test then runs in a transaction that is rolled back, so tests may change data freely."""

import datetime as dt
import io
import shutil

import pytest
from django.core.management import call_command

from .spec import BOLD, FIXTURES, IMG, SCRIPT, SEED_FILE, SEED_NAME


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("import_seeds", verbosity=0, stdout=io.StringIO())


@pytest.fixture
def seeded(db):
    """The ten seed articles and the catalogue, linked (imported once per session)."""
    return db


@pytest.fixture
def hostile(seeded):
    """The seed plus an article whose every field is markup that must never run: its title,
    body, publication, dept, note and address; it names ICE (linked) and Wickr, whose
    description is markup too. Its slug is "hostile"."""
    from archive.models import Article, Entity, Mention

    ice = Entity.objects.get(slug="ice")
    body = f"ICE was here. {SCRIPT} and {IMG}.\nSecond para {SCRIPT}."
    article = Article.objects.create(
        title=f"Hostile {SCRIPT} title",
        slug="hostile",
        body=body,
        publication=f"Pub {SCRIPT}",
        published=dt.date(2023, 1, 1),
        dept=f"dept {SCRIPT}",
        facts_note=f"note {SCRIPT}",
        source_url="https://example.com/x?a=1&b=<2>",
    )
    Mention.objects.create(article=article, entity=ice, count=1, spans=[[0, 3]])
    wickr = Entity.objects.get(slug="wickr")
    wickr.description = f"Messaging {BOLD} app {SCRIPT}"
    wickr.save()
    Mention.objects.create(article=article, entity=wickr, count=0, spans=[])
    return article


@pytest.fixture
def chromium(live_server, transactional_db, monkeypatch):
    """(a launched Chromium, the live server's address), with the seed imported: what every
    real-browser test starts from (tests/chromium.py)."""
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    from archive.models import Article

    from .chromium import ARGS, CHROMIUM

    # Playwright's sync API runs an event loop; Django's ORM refuses to run inside one.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Article.objects.exists():  # an earlier live-server test flushed the database
        call_command("import_seeds", verbosity=0, stdout=io.StringIO())
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser, live_server.url
        browser.close()


def pytest_collection_modifyitems(items):
    """Browser tests use a live server, whose database is flushed afterwards; run them last
    so the session's imported seed serves every other test first."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def workdir(tmp_path, settings):
    """A private copy of seeds/ and fixtures/, which settings now point at."""
    seeds, fixtures = tmp_path / "seeds", tmp_path / "fixtures"
    seeds.mkdir()
    fixtures.mkdir()
    shutil.copy(SEED_FILE, seeds / SEED_NAME)
    for name in ("articles.json", "catalogue.json"):
        shutil.copy(FIXTURES / name, fixtures / name)
    settings.SEEDS_DIR = seeds
    settings.FIXTURES_DIR = fixtures
    return tmp_path
