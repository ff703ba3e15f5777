"""Reads from streaming replicas, writes to the primary (archive/routers.py, docs/scaling.md).

The router's and the middleware's rules are tested everywhere, with replica aliases that
exist only in the settings. The rest needs PostgreSQL and a live streaming replica of it
(`.ci/run` starts one on port 5433; REPLICA_TEST_URL says where) and skips without one.
pytest's test database is not replicated, so those tests build a real database on the
primary (the replica copies CREATE DATABASE like everything else), migrate and seed it, and
drive the archive in a subprocess configured with DATABASE_REPLICA_URLS.
"""

import json
import os
import subprocess
import sys
import time
import warnings
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection, router
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from archive.models import Article
from archive.routers import (
    PIN_COOKIE,
    PrimaryReplicaRouter,
    ReplicaReadsMiddleware,
    replica_reads,
)
from archive.search import get_engine, search

from .spec import ROOT

ROUTER = PrimaryReplicaRouter()


@pytest.fixture
def replicas():
    """Two replica aliases in the settings (never connected to) and the router installed."""
    databases = {
        **settings.DATABASES,
        "replica_1": {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}},
        "replica_2": {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}},
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Overriding setting DATABASES")
        with override_settings(
            DATABASES=databases,
            DATABASE_ROUTERS=["archive.routers.PrimaryReplicaRouter"],
            REPLICA_PIN_SECONDS=10,
        ):
            yield


# -- the router --------------------------------------------------------------------------


def test_outside_a_request_everything_uses_the_primary(replicas):
    # Management commands, relink jobs and shells read back what they have just written.
    assert ROUTER.db_for_read(Article) == "default"
    assert ROUTER.db_for_write(Article) == "default"


def test_a_request_reads_one_replica_and_writes_the_primary(replicas):
    chosen = set()
    for _ in range(40):
        with replica_reads():
            first = ROUTER.db_for_read(Article)
            assert first in {"replica_1", "replica_2"}
            # Every read of one request goes to the same replica (one moment of the data).
            assert {ROUTER.db_for_read(Article) for _ in range(5)} == {first}
            chosen.add(first)
            assert ROUTER.db_for_write(Article) == "default"
            # Once it has written, it reads the primary: it sees its own write.
            assert ROUTER.db_for_read(Article) == "default"
    assert chosen == {"replica_1", "replica_2"}  # random among the replicas


def test_without_replicas_reads_use_the_primary():
    with replica_reads():
        assert ROUTER.db_for_read(Article) == "default"


def test_a_pinned_block_reads_the_primary(replicas):
    with replica_reads(allowed=False):
        assert ROUTER.db_for_read(Article) == "default"


@pytest.mark.django_db
def test_a_transaction_on_the_primary_reads_the_primary(replicas):
    # (Each test here runs in a transaction on "default".)
    assert connection.in_atomic_block
    with replica_reads():
        assert ROUTER.db_for_read(Article) == "default"


def test_only_the_primary_is_migrated(replicas):
    assert ROUTER.allow_migrate("default", "archive", "article")
    assert not ROUTER.allow_migrate("replica_1", "archive", "article")
    assert not ROUTER.allow_migrate("replica_2", "auth")


def test_objects_from_the_primary_and_a_replica_may_be_related(replicas):
    a, b, c = Article(), Article(), Article()
    a._state.db, b._state.db, c._state.db = "default", "replica_2", "elsewhere"
    assert ROUTER.allow_relation(a, b) is True
    assert ROUTER.allow_relation(b, a) is True
    assert ROUTER.allow_relation(a, c) is None  # not ours to decide


@pytest.mark.django_db
def test_the_search_reads_where_the_router_says(seeded, monkeypatch):
    asked = []
    real = router.db_for_read

    def db_for_read(model, **hints):
        asked.append(model)
        return real(model, **hints)

    monkeypatch.setattr(router, "db_for_read", db_for_read)
    assert get_engine().using == "default"
    assert search("ICE").total > 0
    assert Article in asked
    assert get_engine("default").using == "default"


# -- read-your-writes: the middleware -----------------------------------------------------


def reads_of(request, write=False, status=200):
    """Run `request` through the middleware; where its view's reads went, and the response."""
    where = []

    def view(request):
        if write:
            ROUTER.db_for_write(Article)
        where.append(ROUTER.db_for_read(Article))
        return HttpResponse("ok", status=status)

    response = ReplicaReadsMiddleware(view)(request)
    return where[0], response


def with_cookie(request, response):
    request.COOKIES[PIN_COOKIE] = response.cookies[PIN_COOKIE].value
    return request


def test_a_reader_reads_a_replica_and_is_not_pinned(replicas):
    where, response = reads_of(RequestFactory().get("/search/", {"q": "ICE"}))
    assert where.startswith("replica_")
    assert PIN_COOKIE not in response.cookies


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_reads_the_primary_and_pins_the_client(replicas, method):
    rf = RequestFactory()
    where, response = reads_of(getattr(rf, method)("/search/"))
    assert where == "default"
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"]
    assert "private" in response["Cache-Control"]  # never kept by a shared cache
    # Its next requests read the primary too, until the pin expires.
    assert reads_of(with_cookie(rf.get("/search/", {"q": "ICE"}), response))[0] == "default"


@pytest.mark.parametrize("status", [403, 405])
def test_a_refused_write_does_not_pin(replicas, status):
    """A POST to a read-only page changes nothing: no reason to leave the replicas (else any
    client could pin itself to the primary by sending one now and then)."""
    _, response = reads_of(RequestFactory().post("/search/"), status=status)
    assert PIN_COOKIE not in response.cookies


def test_a_pin_expires(replicas):
    rf = RequestFactory()
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 11):
        _, response = reads_of(rf.post("/search/"))
    where, _ = reads_of(with_cookie(rf.get("/search/"), response))
    assert where.startswith("replica_")


def test_a_forged_pin_is_ignored(replicas):
    request = RequestFactory().get("/search/")
    request.COOKIES[PIN_COOKIE] = "1"
    assert reads_of(request)[0].startswith("replica_")


def test_the_admin_reads_the_primary(replicas):
    rf = RequestFactory()
    where, response = reads_of(rf.get("/" + settings.ADMIN_URL + "archive/article/"))
    assert where == "default"
    assert PIN_COOKIE in response.cookies


def test_a_request_that_writes_through_the_orm_pins_too(replicas):
    where, response = reads_of(RequestFactory().get("/search/"), write=True)
    assert where == "default"
    assert PIN_COOKIE in response.cookies


# -- a live streaming replica ---------------------------------------------------------------

REPLICA_TEST_URL = (
    os.environ.get("REPLICA_TEST_URL") or "postgres://postgres@127.0.0.1:5433/postgres"
)
WAIT_S = 30

# Run in a subprocess against a database on the primary and its copy on the replica; prints
# one JSON object: where each step's statements ran, and how long edits took to replicate.
PROBE = r"""
import json, time, uuid
from contextlib import ExitStack, contextmanager

import django

django.setup()
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

from archive.models import Article
from archive.routers import replica_reads
from archive.search import search

setup_test_environment()
ALIASES = list(settings.DATABASES)
out = {"aliases": ALIASES, "routers": settings.DATABASE_ROUTERS}


@contextmanager
def recording():
    seen = []

    def wrapper_for(alias):
        def wrapper(execute, sql, params, many, context):
            seen.append((alias, sql))
            return execute(sql, params, many, context)

        return wrapper

    with ExitStack() as stack:
        for alias in ALIASES:
            stack.enter_context(connections[alias].execute_wrapper(wrapper_for(alias)))
        yield seen


def where(seen, only=""):
    return sorted({alias for alias, sql in seen if only in sql})


def recovery(alias):
    with connections[alias].cursor() as cur:
        cur.execute("SELECT pg_is_in_recovery()")
        return cur.fetchone()[0]


from tests.markup import admin_form_data as form_data  # noqa: E402


def page(client, q, seen):
    response = client.get("/search/", {"q": q})
    return {
        "status": response.status_code,
        "where": where(seen),
        "search_sql": where(seen, "search_vector"),
        "content": response.content.decode(),
    }


def poll(alias, pk, title):
    t0 = time.perf_counter()
    while not Article.objects.using(alias).filter(pk=pk, title=title).exists():
        if time.perf_counter() - t0 > 30:
            return None
        time.sleep(0.001)
    return (time.perf_counter() - t0) * 1000


# (a) search() where a web request reads, and the search page a reader asks for.
with recording() as seen, replica_reads():
    results = search("ICE")
out["search"] = {
    "total": results.total,
    "where": where(seen),
    "search_sql": where(seen, "search_vector"),
}
out["recovery"] = {alias: recovery(alias) for alias in ALIASES}
with recording() as seen:
    out["reader_page"] = page(Client(), "ICE", seen)

# (c) an editor changes a title in the admin: the admin reads the primary, and so does the
# editor's next search, at once (the pin cookie), whatever the replica's lag.
editor = get_user_model().objects.create_superuser("replica-editor", "e@example.org", "x" * 24)
client = Client()
client.force_login(editor)
article = Article.objects.order_by("pk").first()
change = reverse("admin:archive_article_change", args=[article.pk])
with recording() as seen:
    form = client.get(change)
out["admin_get"] = {"status": form.status_code, "where": where(seen)}
word = "replicaprobe" + "".join(c for c in uuid.uuid4().hex if c.isalpha())
title = f"{article.title} {word}"
with recording() as seen:
    response = client.post(change, form_data(form) | {"title": title})
    t_saved = time.perf_counter()
out["admin_post"] = {
    "status": response.status_code,
    "where": where(seen),
    "pinned": "pin_primary" in response.cookies,
}
with recording() as seen:
    out["editor_page"] = page(client, word, seen)
out["editor_page"]["found"] = article.slug in out["editor_page"].pop("content")

# (b) the edit reaches the replica, where a reader's search finds it.
out["admin_edit_visible_ms"] = poll("replica_1", article.pk, title)
out["admin_edit_visible_after_save_ms"] = (time.perf_counter() - t_saved) * 1000
with recording() as seen:
    out["reader_after"] = page(Client(), word, seen)
out["reader_after"]["found"] = article.slug in out["reader_after"].pop("content")
out["reader_page"]["found"] = "<mark>ICE</mark>" in out["reader_page"].pop("content")

# Replication lag of single-row edits committed on the primary, polled on the replica.
lags = []
for i in range(20):
    new = f"{title} {i}"
    Article.objects.filter(pk=article.pk).update(title=new)
    lags.append(poll("replica_1", article.pk, new))
out["lags_ms"] = lags
connections.close_all()
print(json.dumps(out))
"""


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}", query=""))


def _primary_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def _connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=3)


def _one(conn, sql: str):
    return conn.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def live():
    """The probe's report, run against a fresh database on the primary and on the replica."""
    if connection.vendor != "postgresql":
        pytest.skip("the replica tests need PostgreSQL (DATABASE_URL), not SQLite")
    import psycopg

    try:
        replica = _connect(REPLICA_TEST_URL)
    except psycopg.OperationalError as exc:
        pytest.skip(
            f"no replica answers at REPLICA_TEST_URL={REPLICA_TEST_URL} (.ci/run starts a "
            f"streaming replica on port 5433): {str(exc).strip()}"
        )
    primary = _connect(_primary_url())
    sysid = "SELECT system_identifier FROM pg_control_system()"
    with replica:
        if not _one(replica, "SELECT pg_is_in_recovery()"):
            pytest.skip(f"REPLICA_TEST_URL={REPLICA_TEST_URL} is not in recovery: not a replica")
        if _one(replica, sysid) != _one(primary, sysid):
            pytest.skip(f"REPLICA_TEST_URL={REPLICA_TEST_URL} replicates another primary")

    name = f"archive_replica_test_{os.getpid()}"
    with primary:
        primary.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        primary.execute(f'CREATE DATABASE "{name}"')
        try:
            primary_db, replica_db = (
                _with_db(_primary_url(), name),
                _with_db(REPLICA_TEST_URL, name),
            )
            _wait_for(replica_db)
            env = {
                **os.environ,
                "DEBUG": "1",
                "DATABASE_URL": primary_db,
                "DATABASE_REPLICA_URLS": replica_db,
                "RELINK_RUNNER": "inline",
            }
            _run(env, "manage.py", "migrate", "--noinput")
            _run(env, "manage.py", "import_seeds")
            yield json.loads(_run(env, "-c", PROBE).strip().splitlines()[-1])
        finally:
            primary.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for(url: str) -> None:
    import psycopg

    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            _connect(url).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _run(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, (args[:2], result.stderr[-3000:])
    return result.stdout


def test_live_the_replica_is_configured_and_in_recovery(live):
    assert live["aliases"] == ["default", "replica_1"]
    assert live["routers"] == ["archive.routers.PrimaryReplicaRouter"]
    assert live["recovery"] == {"default": False, "replica_1": True}


def test_live_searches_are_served_by_the_replica(live):
    # search() where a web request reads: every statement on the replica.
    assert live["search"]["total"] > 0
    assert live["search"]["where"] == ["replica_1"]
    assert live["search"]["search_sql"] == ["replica_1"]
    # The search page, for a reader: the whole request reads the replica.
    page = live["reader_page"]
    assert page["status"] == 200 and page["found"]
    assert page["where"] == ["replica_1"]


def test_live_the_admin_and_the_editor_who_saved_read_the_primary(live):
    assert live["admin_get"] == {"status": 200, "where": ["default"]}
    assert live["admin_post"] == {"status": 302, "where": ["default"], "pinned": True}
    # Straight after saving, the editor's search finds the new title: it reads the primary.
    editor = live["editor_page"]
    assert editor["status"] == 200 and editor["found"]
    assert editor["where"] == ["default"] and editor["search_sql"] == ["default"]


def test_live_an_edit_reaches_the_replica(live):
    assert live["admin_edit_visible_ms"] is not None, "the edit never reached the replica"
    reader = live["reader_after"]
    assert reader["found"] and reader["search_sql"] == ["replica_1"]
    assert None not in live["lags_ms"], live["lags_ms"]
    lags = sorted(live["lags_ms"])
    print(
        f"\nreplication lag of an edit, {len(lags)} edits: median {lags[len(lags) // 2]:.1f} ms, "
        f"max {lags[-1]:.1f} ms; the admin edit: on the replica at most "
        f"{live['admin_edit_visible_after_save_ms']:.1f} ms after the save returned"
    )
