"""Shared fixtures. The seed is imported once per test session into the test database;
each test then runs in a transaction that is rolled back, so tests may change data freely."""

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("import_seeds", verbosity=0, stdout=open("/dev/null", "w"))


@pytest.fixture
def seeded(db):
    """The ten seed articles and the catalogue, linked (imported once per session)."""
    return db


def pytest_collection_modifyitems(items):
    """Browser tests use a live server, whose database is flushed afterwards; run them last
    so the session's imported seed serves every other test first."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
