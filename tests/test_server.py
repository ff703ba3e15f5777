"""Served by a real server: conditional GET and caching of the public pages, feeds and API;
gzip where it is safe; /healthz; SQLite's lock answered 503; gunicorn's settings.

Tables, one row a case: every public page type, feed and API view answers a repeat request
with 304 (ETag and Last-Modified); a change to the archive changes the ETag; only public
responses are cached and compressed."""

import datetime as dt
import gzip
import io
import os
import runpy
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils.http import http_date

from archive import models as m
from archive import state
from archive.middleware import (
    BUSY_MESSAGE,
    DatabaseBusyMiddleware,
    PublicGZipMiddleware,
    is_database_locked,
)
from archive.views import caching

from .markup import response_bytes
from .spec import ROOT, TORRANCE, WYDEN, article_url

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}

# Every public view, by what it is: a page type, a feed or an API view.
PUBLIC = [
    pytest.param("/", id="home"),
    pytest.param("/search/?q=Wickr", id="search"),
    pytest.param("/search/", id="search-empty"),
    pytest.param("/search/help/", id="search-help"),
    pytest.param("/search/export.csv?sort=newest", id="search-export"),
    pytest.param(article_url(WYDEN), id="article"),
    pytest.param("/agencies/", id="entity-index"),
    pytest.param("/agencies/ice/", id="entity"),
    pytest.param("/programs/hsi-money-transfer-summonses/", id="entity-program"),
    pytest.param("/feed/", id="feed"),
    pytest.param("/agencies/ice/feed/", id="entity-feed"),
    pytest.param("/api/articles/", id="api-articles"),
    pytest.param(f"/api/articles/{WYDEN}/", id="api-article"),
    pytest.param("/api/search/?q=Wickr", id="api-search"),
    pytest.param("/api/entities/", id="api-entities"),
    pytest.param("/api/entities/agency/ice/", id="api-entity"),
]

ADMIN = ["/admin/", "/admin/archive/article/", "/admin/archive/agency/"]


@pytest.fixture(autouse=True)
def fixed_release(monkeypatch):
    """The code's part of the validators, read once: the tree may change while tests run
    (development rescans it every second); test_release_follows_the_files tests that."""
    scanned = caching._scan_release()
    monkeypatch.setattr(caching, "release", lambda: scanned)
    return scanned


# -- conditional GET ----------------------------------------------------------------------
@pytest.mark.parametrize("url", PUBLIC)
def test_a_repeat_request_with_the_etag_gets_304_without_rendering(client, seeded, url):
    first = client.get(url)
    assert first.status_code == 200
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"') and len(etag) > 20
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert (again["ETag"], again["Last-Modified"]) == (etag, last_modified)
    assert "max-age=60" in again["Cache-Control"]
    # Only the archive's last change was read: no selector, no search, no template.
    assert [q["sql"] for q in ctx.captured_queries if "archive_archivestate" not in q["sql"]] == []
    assert len(ctx.captured_queries) == 1


@pytest.mark.parametrize("url", PUBLIC)
def test_a_repeat_request_with_if_modified_since_gets_304(client, seeded, url):
    first = client.get(url)
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304
    # A copy from before the last change is sent in full.
    before = caching.validators(first.wsgi_request)[0] - dt.timedelta(seconds=1)
    older = client.get(url, HTTP_IF_MODIFIED_SINCE=http_date(before.timestamp()))
    assert older.status_code == 200


@pytest.mark.parametrize("url", ["/", "/feed/", "/api/articles/", "/search/export.csv?sort=newest"])
def test_compressed_and_plain_copies_share_one_etag(client, seeded, url):
    packed = client.get(url, **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    etag = packed["ETag"]
    assert client.get(url)["ETag"] == etag
    again = client.get(url, HTTP_IF_NONE_MATCH=etag, **GZIP)
    assert again.status_code == 304
    # The 304 says what the 200 would: the same ETag, and that it varies by encoding.
    assert again["ETag"] == etag
    assert "Accept-Encoding" in again["Vary"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_head_answers_304_too(client, seeded):
    etag = client.get("/").headers["ETag"]
    assert client.head("/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_feed_sends_the_archives_last_modified_not_its_newest_item(client, seeded):
    """Feed readers often send only If-Modified-Since: it must match what the check uses."""
    page = client.get("/")
    feed = client.get("/feed/")
    assert feed["Last-Modified"] == page["Last-Modified"]


def test_a_page_before_any_recorded_change_has_no_validators(client, seeded):
    m.ArchiveState.objects.all().delete()
    response = client.get("/")
    assert response.status_code == 200
    assert not response.has_header("ETag") and not response.has_header("Last-Modified")
    assert "public" in response["Cache-Control"]


def test_a_new_release_changes_the_etag(client, seeded, monkeypatch, fixed_release):
    etag = client.get("/")["ETag"]
    when, digest = fixed_release
    monkeypatch.setattr(caching, "release", lambda: (when, "another-release"))
    response = client.get("/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_release_follows_the_files_contents(settings, tmp_path):
    template = tmp_path / "page.html"
    template.write_text("one")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    when, digest = caching._scan_release()
    # Written again, unchanged (another checkout, another server): the same release.
    later = when.timestamp() + 60
    os.utime(template, (later, later))
    when_touched, digest_touched = caching._scan_release()
    assert digest_touched == digest
    assert when_touched.timestamp() == pytest.approx(later)
    # A new template: a new release.
    template.write_text("two")
    assert caching._scan_release()[1] != digest


# -- a change to the archive changes the ETag -----------------------------------------------
def _save_article():
    article = m.Article.objects.get(slug=WYDEN)
    article.title += " (corrected)"
    article.save()


def _delete_alias():
    m.Alias.objects.filter(entity__slug="ice").first().delete()


def _rename_agency():
    agency = m.Agency.objects.get(slug="ice")
    agency.description = "Edited."
    agency.save()


def _import_new_material():
    new = ROOT / "tests" / "data" / "new_material.md"
    call_command("import_seeds", str(new), stdout=io.StringIO())


def _relink():
    m.Mention.objects.filter(article__slug=TORRANCE).update(count=99)  # a bulk write: no signal
    call_command("relink", stdout=io.StringIO())


# (change, whether the transaction commits): an editor's saves are recorded when their
# transaction commits; the commands record their change themselves, signals or not.
CHANGES = [
    pytest.param(_save_article, True, id="editor-saves-article"),
    pytest.param(_delete_alias, True, id="editor-deletes-alias"),
    pytest.param(_rename_agency, True, id="editor-edits-agency"),
    pytest.param(_import_new_material, False, id="import"),
    pytest.param(_relink, False, id="relink-command"),
]


@pytest.mark.parametrize("change, commits", CHANGES)
@pytest.mark.parametrize("url", ["/", "/feed/", "/api/articles/", "/agencies/ice/"])
def test_a_change_changes_the_etag(
    client, seeded, url, change, commits, django_capture_on_commit_callbacks
):
    etag = client.get(url)["ETag"]
    with django_capture_on_commit_callbacks(execute=commits):
        change()
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


SIGNALLED = [
    pytest.param(lambda: m.Article.objects.first(), id="Article"),
    pytest.param(lambda: m.Entity.objects.first(), id="Entity"),
    pytest.param(lambda: m.Agency.objects.first(), id="Agency"),
    pytest.param(lambda: m.Contractor.objects.first(), id="Contractor"),
    pytest.param(lambda: m.Program.objects.first(), id="Program"),
    pytest.param(lambda: m.Alias.objects.first(), id="Alias"),
    pytest.param(lambda: m.Mention.objects.first(), id="Mention"),
    pytest.param(lambda: m.Relationship.objects.first(), id="Relationship"),
    pytest.param(lambda: m.ProgramStatus.objects.first(), id="ProgramStatus"),
    pytest.param(
        # bulk_create: made without a signal, so the save below is the first change
        lambda: m.EntityRedirect.objects.bulk_create(
            [m.EntityRedirect(old_slug="old-ice", entity=m.Entity.objects.first())]
        )[0],
        id="EntityRedirect",
    ),
]


@pytest.mark.parametrize("row", SIGNALLED)
@pytest.mark.parametrize("action", ["save", "delete"])
def test_saving_or_deleting_a_public_row_records_a_change(
    seeded, row, action, django_capture_on_commit_callbacks
):
    obj = row()
    assert obj is not None
    before = state.last_change()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        obj.save() if action == "save" else obj.delete()
    assert len(callbacks) == 1
    assert state.last_change() > before


NOT_PUBLIC = [
    pytest.param(lambda: m.Candidate.objects.first(), id="Candidate"),
    pytest.param(lambda: m.RelinkJob.objects.create(reason="test"), id="RelinkJob"),
    pytest.param(
        lambda: m.Suppression.objects.create(what="entity", key="nobody"), id="Suppression"
    ),
]


@pytest.mark.parametrize("row", NOT_PUBLIC)
def test_rows_the_pages_do_not_show_record_no_change(
    seeded, row, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        obj = row()
        if obj is not None:
            obj.save()
    assert not callbacks


def test_a_transaction_records_its_changes_once_when_it_commits(
    seeded, django_capture_on_commit_callbacks
):
    before = state.last_change()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for article in m.Article.objects.all():
            article.save()
        m.Mention.objects.first().save()
        # Not visible until the commit: the validators never run ahead of the data.
        assert state.last_change() == before
    assert len(callbacks) == 1
    callbacks[0]()
    assert state.last_change() > before


def test_a_rolled_back_change_records_nothing(seeded, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                m.Article.objects.first().save()
                raise RuntimeError
        except RuntimeError:
            pass
        # A change after the rollback is recorded (the dropped callback is not counted).
        m.Alias.objects.first().save()
    assert len(callbacks) == 1


def test_an_import_that_changes_nothing_records_nothing(seeded):
    before = state.last_change()
    call_command("import_seeds", stdout=io.StringIO())
    assert state.last_change() == before


def test_an_import_records_a_change_where_none_was_recorded(seeded):
    m.ArchiveState.objects.all().delete()
    call_command("import_seeds", stdout=io.StringIO())
    assert state.last_change() is not None


def test_touch_creates_then_updates_the_one_row(seeded):
    m.ArchiveState.objects.all().delete()
    assert state.last_change() is None
    first = state.touch()
    second = state.touch()
    assert m.ArchiveState.objects.count() == 1
    assert state.last_change() == second >= first


# -- Cache-Control --------------------------------------------------------------------------
@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_may_be_cached(client, seeded, url, settings):
    settings.PAGE_CACHE_SECONDS = 120
    response = client.get(url)
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {"public", "max-age=120"}
    assert not response.cookies


@pytest.mark.parametrize("url", ADMIN)
def test_the_admin_is_never_cached(admin_client, seeded, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "public" not in cache_control
    assert "private" in cache_control and "no-store" in cache_control
    assert not response.has_header("ETag")


def test_the_admin_login_page_is_never_cached(client, seeded):
    response = client.get("/admin/login/")
    assert "public" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_response_that_sets_a_cookie_is_private():
    response = HttpResponse("x")
    response.set_cookie("session", "secret")
    assert caching.cache_headers(response)["Cache-Control"] == "private, no-cache"


# -- gzip ---------------------------------------------------------------------------------
@pytest.mark.parametrize("url", PUBLIC)
def test_public_responses_are_compressed(client, seeded, url):
    plain = client.get(url)
    packed = client.get(url, **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(response_bytes(packed)) == response_bytes(plain)
    assert not plain.has_header("Content-Encoding")


@pytest.mark.parametrize("url", ADMIN)
def test_admin_pages_are_never_compressed(admin_client, seeded, url):
    response = admin_client.get(url, **GZIP)
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")


def test_the_login_page_with_its_csrf_token_is_never_compressed(client, seeded):
    response = client.get("/admin/login/", **GZIP)
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert not response.has_header("Content-Encoding")


def _html(**headers):
    response = HttpResponse("<p>" + "archive " * 200 + "</p>", content_type="text/html")
    for name, value in headers.items():
        response[name] = value
    return response


def _with_cookie():
    response = _html()
    response.set_cookie("sessionid", "secret")
    return response


GZIP_CASES = [
    # (path, response, request META, compressed?)
    pytest.param("/", _html, {}, True, id="public-html"),
    pytest.param(
        "/api/x/",
        lambda: HttpResponse("{}" * 300, content_type="application/json"),
        {},
        True,
        id="json",
    ),
    pytest.param(
        "/feed/",
        lambda: HttpResponse("<a/>" * 300, content_type="application/atom+xml; charset=utf-8"),
        {},
        True,
        id="atom",
    ),
    pytest.param(
        "/x.csv", lambda: HttpResponse("a,b\n" * 300, content_type="text/csv"), {}, True, id="csv"
    ),
    pytest.param("/admin/", _html, {}, False, id="admin-path"),
    pytest.param("/", _with_cookie, {}, False, id="sets-a-cookie"),
    pytest.param("/", _html, {"CSRF_COOKIE_NEEDS_UPDATE": True}, False, id="csrf-token-used"),
    pytest.param("/", lambda: _html(Vary="Cookie"), {}, False, id="varies-by-cookie"),
    pytest.param(
        "/",
        lambda: HttpResponse(b"\0" * 1000, content_type="image/png"),
        {},
        False,
        id="not-text",
    ),
]


@pytest.mark.parametrize("path, make_response, meta, compressed", GZIP_CASES)
def test_gzip_only_where_safe(path, make_response, meta, compressed):
    request = RequestFactory().get(path, **GZIP)
    request.META.update(meta)
    response = PublicGZipMiddleware(lambda r: make_response())(request)
    assert (response.get("Content-Encoding") == "gzip") is compressed


# -- /healthz -----------------------------------------------------------------------------
def test_healthz_answers_ok(client, seeded):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert [q["sql"] for q in ctx.captured_queries] == ["SELECT 1"]


def test_healthz_answers_503_when_the_database_fails(client, seeded):
    with mock.patch.object(
        connections["default"], "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database unavailable: OperationalError\n"
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_read_only(client, seeded):
    assert client.post("/healthz").status_code == 405


# -- SQLite's lock answers 503 --------------------------------------------------------------
def _locked(request):
    raise OperationalError("database is locked")


def _other_failure(request):
    raise OperationalError("no such table: archive_nothing")


urlpatterns = [path("locked/", _locked), path("broken/", _other_failure)]


@pytest.fixture
def lock_urls(settings):
    settings.ROOT_URLCONF = __name__


def test_a_locked_database_answers_503_with_retry_after(client, lock_urls):
    response = client.get("/locked/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert BUSY_MESSAGE in body
    assert "Traceback" not in body and "OperationalError" not in body
    assert len(body) < 300
    assert "no-store" in response["Cache-Control"]


def test_an_editor_who_hits_the_lock_is_told_to_retry(admin_client, seeded):
    """Through the whole middleware stack, in the admin."""
    with mock.patch(
        "django.contrib.admin.sites.AdminSite.get_app_list",
        side_effect=OperationalError("database is locked"),
    ):
        response = admin_client.get("/admin/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert BUSY_MESSAGE in response.content.decode()


def test_other_database_errors_are_not_disguised(client, lock_urls):
    with pytest.raises(OperationalError):
        client.get("/broken/")


@pytest.mark.parametrize(
    "exc, locked",
    [
        (OperationalError("database is locked"), True),
        (OperationalError("database table is locked"), True),
        (OperationalError("no such table: x"), False),
        (ValueError("database is locked"), False),
    ],
)
def test_which_errors_are_the_lock(exc, locked):
    assert is_database_locked(exc) is locked
    response = DatabaseBusyMiddleware(lambda r: None).process_exception(
        RequestFactory().get("/"), exc
    )
    assert (response is not None and response.status_code == 503) is locked


# -- gunicorn -------------------------------------------------------------------------------
GUNICORN_CONF = ROOT / "archive" / "gunicorn.conf.py"


def gunicorn_settings(monkeypatch, cores, env):
    for name in ("WEB_CONCURRENCY", "PORT", "BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    return runpy.run_path(str(GUNICORN_CONF))


@pytest.mark.parametrize(
    "cores, env, workers",
    [
        (1, {}, 3),
        (2, {}, 5),
        (3, {}, 7),
        (4, {}, 8),  # capped: every worker holds its own database pool
        (64, {}, 8),
        (None, {}, 3),  # unknown: as one core
        (2, {"WEB_CONCURRENCY": "3"}, 3),
        (64, {"WEB_CONCURRENCY": "12"}, 12),
        (2, {"WEB_CONCURRENCY": "0"}, 1),
    ],
)
def test_gunicorn_workers_follow_the_cores(monkeypatch, cores, env, workers):
    assert gunicorn_settings(monkeypatch, cores, env)["workers"] == workers


@pytest.mark.parametrize(
    "env, bind",
    [
        ({}, ["127.0.0.1:8000"]),
        ({"PORT": "9000"}, ["127.0.0.1:9000"]),
        ({"PORT": "9000", "BIND": "0.0.0.0:80"}, ["0.0.0.0:80"]),
    ],
)
def test_gunicorn_binds_from_port(monkeypatch, env, bind):
    assert gunicorn_settings(monkeypatch, 2, env)["bind"] == bind


def test_gunicorn_settings_are_all_known_to_gunicorn(monkeypatch):
    from gunicorn.config import Config

    conf = gunicorn_settings(monkeypatch, 2, {})
    names = {k for k, v in conf.items() if not k.startswith("_") and not callable(v)}
    names -= {"os", "MAX_WORKERS"}
    assert names <= set(Config().settings), names - set(Config().settings)
    assert (conf["accesslog"], conf["errorlog"]) == ("-", "-")
    assert conf["wsgi_app"] == "archive.wsgi:application"


# -- query counts ---------------------------------------------------------------------------
@pytest.mark.parametrize("url", PUBLIC)
def test_caching_costs_one_query(client, seeded, url, monkeypatch):
    """The archive's last change is the one query caching adds to a page."""
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    with_state = len(ctx.captured_queries)
    changed = state.last_change()
    monkeypatch.setattr(state, "last_change", lambda: changed)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert with_state - len(ctx.captured_queries) == 1


# -- the aggregates are kept until the archive changes (state.remember) ------------------------
# The aggregates kept (state.remember); no "pages" cache, so whole answers are not kept.
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}}


def test_an_aggregate_is_computed_once_per_change(settings, seeded):
    settings.CACHES = LOCMEM
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    first = state.touch()
    assert [state.remember("x", compute, first) for _ in range(3)] == [1, 1, 1]
    assert state.remember("x", compute, state.touch()) == 2


def test_a_page_shows_the_change_that_moved_the_archive(settings, client, seeded):
    settings.CACHES = LOCMEM
    state.touch()
    assert "Named in <strong>10</strong> articles." in client.get("/agencies/ice/").content.decode()
    article = m.Article.objects.create(title="One more", slug="one-more", body="ICE again.")
    m.Mention.objects.create(
        article=article, entity=m.Entity.objects.get(slug="ice"), spans=[[0, 3]]
    )
    state.touch()  # what the import and the model signals do once the change commits
    assert "Named in <strong>11</strong> articles." in client.get("/agencies/ice/").content.decode()


# -- rendered answers kept per URL until the archive changes (views/caching.py) --------------
PAGES_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kept"},
}


@pytest.mark.parametrize(
    "url", ["/", "/agencies/ice/", "/search/?q=ICE", "/api/entities/agency/ice/", "/feed/"]
)
def test_a_repeat_reader_gets_the_kept_answer_for_one_query(settings, client, seeded, url):
    settings.CACHES = PAGES_CACHE
    state.touch()
    first = client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url)
    assert again.status_code == 200
    assert again.content == first.content
    assert len(ctx.captured_queries) == 1  # the archive's last change, for the key


def test_a_kept_answer_is_not_served_after_the_archive_changes(settings, client, seeded):
    settings.CACHES = PAGES_CACHE
    state.touch()
    assert b"Named in <strong>10</strong> articles." in client.get("/agencies/ice/").content
    article = m.Article.objects.create(title="One more", slug="one-more-ice", body="ICE again.")
    m.Mention.objects.create(
        article=article, entity=m.Entity.objects.get(slug="ice"), spans=[[0, 3]]
    )
    assert b"Named in <strong>10</strong>" in client.get("/agencies/ice/").content  # kept
    state.touch()  # what an import or an editor's save does once it commits
    assert b"Named in <strong>11</strong> articles." in client.get("/agencies/ice/").content


def test_answers_that_must_not_be_kept_are_not(settings, client, seeded):
    from django.core.cache import caches

    settings.CACHES = PAGES_CACHE
    caches["pages"].clear()
    state.touch()
    client.get("/exports/articles.jsonl")  # streamed
    client.get("/no-such-page/")  # not a 200
    client.head("/agencies/ice/")  # not a GET
    assert caches["pages"]._cache == {}
