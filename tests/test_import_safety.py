"""Issue 10, "Nothing lost, nothing half-said", as tables: one table per finding, each row a
case from the findings. Run on both engines (SQLite, and PostgreSQL with DATABASE_URL set):
every expectation is the same on both.

1. An article's identity is its source (address, or file and text), never its slug: a new
   article never replaces another, and every script gets a unique, readable slug.
2. Every field limit, NUL bytes and dates are refused at import in one line naming the file
   and line, before anything is written (the import is atomic).
3. What an editor deleted stays deleted through a merge of entities.
4. An article can be deleted in the admin; the import remembers it.
"""

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from archive import curation
from archive.ingest import importer
from archive.models import (
    Agency,
    Alias,
    Article,
    Candidate,
    Entity,
    Mention,
    Program,
    ProgramStatus,
    Relationship,
    Suppression,
)

from .spec import SEED_NAME, TORRANCE


@pytest.fixture(autouse=True)
def relink_inline(settings):
    settings.RELINK_RUNNER = "inline"


def md(title: str, body: str = "ICE bought another database.", **facts) -> str:
    """One Markdown article: its front matter (title first, line 2), then its body."""
    front = "".join(f"{k}: {v}\n" for k, v in {"title": title, **facts}.items())
    return f"---\n{front}---\n\n{body}\n"


def write(workdir: Path, name: str, text: str) -> str:
    path = workdir / "seeds" / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_import(*paths) -> dict:
    buf = io.StringIO()
    call_command("import_seeds", "--json", *paths, stdout=buf)
    return json.loads(buf.getvalue())


def articles() -> list[tuple]:
    return sorted(Article.objects.values_list("slug", "title", "body", "source_url", "seed_file"))


# =============================================================================================
# 1. Identity: a new article never replaces another; slugs unique and readable in any script
# =============================================================================================
JAPANESE = "監視カメラの新しい契約"
RUSSIAN = "Новая система слежки"
EMOJI = "👁️📹🔍"
READABLE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HASHED = re.compile(r"^article-[0-9a-f]{8}$")


def three_scripts():
    """The finding: three one-article files titled in Japanese, Russian and emoji, imported
    one after another, overwrote each other in turn."""
    return [
        ("ja.md", md(JAPANESE, "ICE ja.", source_url="https://example.org/ja")),
        ("ru.md", md(RUSSIAN, "ICE ru.", source_url="https://example.org/ru")),
        ("emoji.md", md(EMOJI, "ICE emoji.", source_url="https://example.org/emoji")),
    ]


def check_three_scripts(stored):
    ja, ru, emoji = stored
    assert "kamera" in ja.slug  # カメラ, transliterated
    assert ru.slug == "novaia-sistema-slezhki"
    assert HASHED.match(emoji.slug)
    assert READABLE.match(ja.slug) and READABLE.match(ru.slug)


def same_slug_other_source():
    """The finding: a later import whose article gets the same slug as an earlier one from
    another file replaced it and reported "1 updated"."""
    return [
        ("first.md", md("Same Title", "ICE first.", source_url="https://example.org/first")),
        ("second.md", md("Same Title", "ICE second.", source_url="https://example.org/second")),
    ]


def check_same_slug(stored):
    first, second = stored
    assert (first.slug, first.body) == ("same-title", "ICE first.")
    assert (second.slug, second.body) == ("same-title-2", "ICE second.")


def same_emoji_title():
    """Two different articles titled alike in a script nothing transliterates."""
    return [
        ("one.md", md(EMOJI, "ICE one.")),
        ("two.md", md(EMOJI, "ICE two.")),
    ]


def check_same_emoji(stored):
    one, two = stored
    assert HASHED.match(one.slug)
    assert two.slug == f"{one.slug}-2"


def given_slug_free():
    """An explicit slug in front matter wins when it is free."""
    return [
        ("one.md", md("Same Title", "ICE one.", slug="my-own-slug")),
        ("two.md", md("Same Title", "ICE two.")),
    ]


def check_given_slug(stored):
    assert [a.slug for a in stored] == ["my-own-slug", "same-title"]


# (the files, imported one after another; what their articles' slugs must be)
# fmt: off
IDENTITY = [
    pytest.param(three_scripts, check_three_scripts, id="japanese-russian-emoji"),
    pytest.param(same_slug_other_source, check_same_slug, id="same-slug-other-source"),
    pytest.param(same_emoji_title, check_same_emoji, id="same-emoji-title"),
    pytest.param(given_slug_free, check_given_slug, id="front-matter-slug-free"),
]
# fmt: on


@pytest.mark.parametrize("files, check", IDENTITY)
def test_a_new_article_never_replaces_another(seeded, workdir, files, check):
    before = articles()
    stored = []
    for name, text in files():
        summary = run_import(write(workdir, name, text))
        assert (summary["articles_created"], summary["articles_updated"]) == (1, 0), name
        stored.append(Article.objects.get(seed_file=name))
    assert set(before) <= set(articles())  # nothing stored before was touched
    assert Article.objects.count() == len(before) + len(stored)
    assert len({a.slug for a in stored}) == len(stored)
    for (_, text), article in zip(files(), stored, strict=True):
        assert f"title: {article.title}\n" in text  # each kept its own title
    check(stored)
    # A second run of the same files changes nothing: the articles are recognised.
    for name, _ in files():
        again = run_import(str(workdir / "seeds" / name))
        assert (again["articles_unchanged"], again["changed"]) == (1, False)


def test_an_article_is_recognised_by_its_address_not_its_title(seeded, workdir):
    url = "https://example.org/renamed"
    path = write(workdir, "a.md", md("First Title", "ICE.", source_url=url))
    run_import(path)
    slug = Article.objects.get(source_url=url).slug
    write(workdir, "a.md", md("A Better Title", "ICE.", source_url=url))
    summary = run_import(path)
    assert (summary["articles_created"], summary["articles_updated"]) == (0, 1)
    article = Article.objects.get(source_url=url)
    assert (article.title, article.slug) == ("A Better Title", slug)  # its address stays


def test_a_front_matter_slug_taken_by_another_article_is_one_line(seeded, workdir):
    run_import(write(workdir, "one.md", md("One", "ICE one.", source_url="https://e.org/1")))
    before = articles()
    path = write(workdir, "two.md", md("Two", "ICE two.", slug="one", source_url="https://e.org/2"))
    with pytest.raises(CommandError) as exc:
        call_command("import_seeds", path, stdout=io.StringIO())
    message = str(exc.value)
    assert "\n" not in message and "two.md:1:" in message and "'one'" in message
    assert "already used by another article" in message
    assert articles() == before


# =============================================================================================
# 2. Field limits, NUL bytes and dates: one line naming file and line; nothing written
# =============================================================================================
LIMITS = {
    "title": 400,
    "slug": 200,
    "publication": 200,
    "source_url": 500,
    "dept": 300,
    "facts_note": 500,
}


def value_of(field: str, n: int) -> str:
    """A valid value of `field`, `n` characters long."""
    if field == "source_url":
        return "https://example.org/" + "a" * (n - len("https://example.org/"))
    return "a" * n


def too_long(field: str, n: int):
    facts = {"title": "Long"} | {field: value_of(field, n)}
    return pytest.param(
        ("bad.md", md(**facts)),
        ["bad.md:1:", f"{field} is {n} characters; the limit is {LIMITS[field]}"],
        id=f"{field}-{n}",
    )


def bad_date(value: str):
    return pytest.param(
        ("bad.md", md("Dated", published=value)),
        ["bad.md:1:", f"bad date {value!r}", "YYYY-MM-DD"],
        id=f"date-{value}",
    )


def manifest_title(title: str):
    """The seed's plain-text file, its manifest giving article 1 `title`."""

    def edit(workdir):
        path = workdir / "fixtures" / "articles.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["seeds"][SEED_NAME][0]["title"] = title
        path.write_text(json.dumps(data), encoding="utf-8")
        return (SEED_NAME, None)

    return edit


def catalogue_edit(edit):
    def case(workdir):
        path = workdir / "fixtures" / "catalogue.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(json.dumps(data), encoding="utf-8")
        return ("catalogue.json", None)

    return case


def _entity(data, slug):
    return next(e for e in data["entities"] if e["slug"] == slug)


# (the file written to seeds/ — or a function that edits a fixture — and what its one-line
# message must say). The PostgreSQL finding: over-long fields and NULs ended in a DataError
# traceback (SQLite stored them); dates not YYYY-MM-DD or out of range were accepted.
# fmt: off
REFUSED = [
    *[too_long(field, 2049) for field in ("publication", "dept", "facts_note", "source_url")],
    *[too_long(field, limit + 1) for field, limit in LIMITS.items()],
    pytest.param(("bad.md", md("NUL \x00 title")), ["bad.md:2:", "NUL"], id="nul-in-title"),
    pytest.param(("bad.md", md("Body", "ICE \x00 body.")), ["bad.md:5:", "NUL"], id="nul-in-body"),
    pytest.param(manifest_title("\x00"), [f"{SEED_NAME}:1:", "title", "NUL"], id="nul-manifest"),
    bad_date("20230214"),
    bad_date("2023-W07-2"),
    bad_date("9999-12-31"),
    bad_date("1899-12-31"),
    bad_date("2023-02-30"),
    bad_date("２０２３-02-14"),  # full-width digits
    bad_date(f"{dt.date.today().year + 2}-01-01"),
    pytest.param(
        catalogue_edit(lambda d: _entity(d, "ice")["aliases"].append("x" * 301)),
        ["catalogue.json", "entity 'ice'", "alias is 301 characters; the limit is 300"],
        id="catalogue-alias-301",
    ),
    pytest.param(
        catalogue_edit(lambda d: _entity(d, "ice").update(name="I\x00CE")),
        ["catalogue.json", "NUL"],
        id="catalogue-nul",
    ),
]
# fmt: on


@pytest.mark.parametrize("file, says", REFUSED)
def test_what_a_column_would_not_hold_is_one_line_and_nothing_is_written(
    seeded, workdir, file, says
):
    # A good file first: the import is atomic, so it is not written either.
    good = write(workdir, "good.md", md("A Good Article", source_url="https://e.org/good"))
    if callable(file):
        name, _ = file(workdir)
        args = [good, str(workdir / "seeds" / SEED_NAME)]
    else:
        name, text = file
        args = [good, write(workdir, name, text)]
    before = articles()
    with pytest.raises(CommandError) as exc:
        call_command("import_seeds", *args, stdout=io.StringIO())
    message = str(exc.value)
    assert "\n" not in message.strip(), message
    assert name in message
    for text in says:
        assert text in message, message
    assert articles() == before
    assert not Article.objects.filter(seed_file="good.md").exists()


# (the field, a value as long as its column holds) and dates at the ends of the range: stored
# as given on both engines.
ACCEPTED = [
    pytest.param({field: value_of(field, limit)}, id=f"{field}-{limit}")
    for field, limit in LIMITS.items()
] + [
    pytest.param({"published": "1900-01-01"}, id="date-1900-01-01"),
    pytest.param({"published": f"{dt.date.today().year + 1}-12-31"}, id="date-next-year"),
]


@pytest.mark.parametrize("facts", ACCEPTED)
def test_values_within_the_limits_are_stored_as_given(seeded, workdir, facts):
    facts = {"title": "Within"} | facts
    summary = run_import(write(workdir, "ok.md", md(**facts)))
    assert summary["articles_created"] == 1
    article = Article.objects.get(seed_file="ok.md")
    for field, value in facts.items():
        stored = getattr(article, field)
        assert (str(stored) if field == "published" else stored) == value


# =============================================================================================
# 3. A deletion is not forgotten after a merge
# =============================================================================================
OIG = "dhs-oig"  # fixtures/catalogue.json: the office, parent DHS
OIG_NAME = "DHS Office of Inspector General"


def url(model, view, *args):
    return reverse(f"admin:archive_{model._meta.model_name}_{view}", args=args)


def delete_in_admin(client, obj):
    response = client.post(url(type(obj), "delete", obj.pk), {"post": "yes"})
    assert response.status_code == 302, response.content[:500]


def merge(model, target: str, other: str):
    """A step: merge `other` into `target` in the admin's list, as an editor does."""

    def step(client):
        keep, away = model.objects.get(slug=target), model.objects.get(slug=other)
        response = client.post(
            url(model, "changelist"),
            {
                "action": "merge_selected",
                "_selected_action": [keep.pk, away.pk],
                "post": "yes",
                "target": keep.pk,
            },
            follow=True,
        )
        assert response.status_code == 200
        assert not Entity.objects.filter(slug=other).exists()

    return step


# The finding's merge: the DHS inspector general's office into DHS.
merge_in_admin = merge(Agency, "dhs", OIG)


def investigates(subject):
    return Relationship.objects.filter(
        subject__slug=subject, kind="investigates", object__slug="ice", article__slug=TORRANCE
    )


def alias(entity, name):
    return Alias.objects.filter(entity__slug=entity, name=name)


def proposed(program):
    """Raven's one sourced status in the catalogue: proposed, 2021."""
    return ProgramStatus.objects.filter(program__slug=program, status="proposed", year=2021)


# (what the editor does, in order; what must stay gone after the re-import)
# fmt: off
MERGE_THEN_DELETE = {
    # The finding: the suppression was recorded under DHS, the catalogue names the office.
    "moved-relationship": (
        [merge_in_admin, lambda c: delete_in_admin(c, investigates("dhs").get())],
        lambda: not investigates("dhs").exists(),
    ),
    "relationship-deleted-before-the-merge": (
        [lambda c: delete_in_admin(c, investigates(OIG).get()), merge_in_admin],
        lambda: not investigates("dhs").exists(),
    ),
    "moved-alias": (
        [merge_in_admin, lambda c: delete_in_admin(c, alias("dhs", "DHS Inspector General").get())],
        lambda: not alias("dhs", "DHS Inspector General").exists(),
    ),
    "alias-deleted-before-the-merge": (
        [lambda c: delete_in_admin(c, alias(OIG, "DHS Inspector General").get()), merge_in_admin],
        lambda: not alias("dhs", "DHS Inspector General").exists(),
    ),
    "merged-name-deleted": (
        [merge_in_admin, lambda c: delete_in_admin(c, alias("dhs", OIG_NAME).get())],
        lambda: not alias("dhs", OIG_NAME).exists(),
    ),
    "moved-program-status": (
        [merge(Program, "trac", "raven"), lambda c: delete_in_admin(c, proposed("trac").get())],
        lambda: not proposed("trac").exists(),
    ),
    "the-entity-merged-into-deleted": (
        [merge_in_admin, lambda c: delete_in_admin(c, Agency.objects.get(slug="dhs"))],
        lambda: not Entity.objects.filter(slug__in=["dhs", OIG]).exists(),
    ),
}
# fmt: on


@pytest.mark.parametrize("steps, still_gone", MERGE_THEN_DELETE.values(), ids=MERGE_THEN_DELETE)
def test_a_deletion_follows_a_merge(seeded, admin_client, steps, still_gone):
    for step in steps:
        step(admin_client)
    assert still_gone()
    importer.run()
    assert still_gone()
    assert importer.run().changed is False  # and the next import agrees


def test_the_merge_keeps_what_was_not_deleted(seeded, admin_client):
    """The other side of the table: merged names, relationships and statuses still come
    through."""
    merge_in_admin(admin_client)
    merge(Program, "trac", "raven")(admin_client)
    summary = importer.run()
    assert investigates("dhs").exists()
    assert alias("dhs", "DHS Inspector General").exists()
    assert proposed("trac").exists()
    # One is left alone: "DHS OIG is part of DHS" would say DHS is part of itself.
    assert summary.stats["relationships_left_alone"] == 1


# =============================================================================================
# 4. Deleting an article
# =============================================================================================
def superuser(admin_client):
    return admin_client


def editor_who_may_delete_articles(client):
    """A staff editor with only the permissions to see and delete articles."""
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="archive", codename__in=["view_article", "delete_article"]
        )
    )
    client.force_login(user)
    return client


def on_its_delete_page(client, article):
    page = client.get(url(Article, "delete", article.pk))
    assert page.status_code == 200
    assert "permission to delete" not in page.content.decode()
    return client.post(url(Article, "delete", article.pk), {"post": "yes"})


def from_the_list(client, article):
    return client.post(
        url(Article, "changelist"),
        {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"},
    )


# (who deletes, and how): the finding, "permission to delete mention" even for a superuser.
DELETERS = [
    pytest.param(superuser, on_its_delete_page, id="superuser-delete-page"),
    pytest.param(superuser, from_the_list, id="superuser-list-action"),
    pytest.param(editor_who_may_delete_articles, on_its_delete_page, id="editor-delete-page"),
]


@pytest.mark.parametrize("who, how", DELETERS)
def test_an_article_deleted_in_the_admin_stays_deleted(seeded, admin_client, client, who, how):
    article = Article.objects.get(slug=TORRANCE)
    pk, key = article.pk, article.source_key
    assert Mention.objects.filter(article=article, origin="linker").exists()
    assert Relationship.objects.filter(article=article).exists()
    http = who(admin_client if who is superuser else client)
    response = how(http, article)
    assert response.status_code == 302, response.content[:500]

    # Gone, with the rows that only speak of it.
    assert not Article.objects.filter(pk=pk).exists()
    for model in (Mention, Relationship, Candidate):
        assert not model.objects.filter(article_id=pk).exists(), model.__name__
    assert not ProgramStatus.objects.filter(article_id=pk).exists()
    assert list(Suppression.objects.values_list("what", "key")) == [("article", key)]
    assert LogEntry.objects.filter(object_id=str(pk), action_flag=DELETION).count() == 1

    # The import leaves it out, and says so.
    buf = io.StringIO()
    call_command("import_seeds", stdout=buf)
    assert not Article.objects.filter(source_key=key).exists()
    assert "1 deleted by editors left alone" in buf.getvalue()
    summary = importer.run()
    assert summary.stats["articles_left_alone"] == 1
    assert summary.stats["articles_created"] == 0

    # Deleting the suppression lets the next import bring it back, at its old address.
    Suppression.objects.filter(what="article", key=key).delete()
    summary = importer.run()
    assert summary.stats["articles_created"] == 1
    back = Article.objects.get(source_key=key)
    assert back.slug == TORRANCE
    assert Relationship.objects.filter(article=back).exists()


def test_an_article_an_editor_added_leaves_no_suppression(seeded, admin_user):
    article = Article.objects.create(title="Editor's own", slug="editors-own", body="ICE.")
    curation.delete_items([article], admin_user)
    assert not Suppression.objects.exists()
