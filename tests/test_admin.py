"""The editors' admin: every page answers, and curation survives a re-import; the rules
live in archive.curation, and relinking every article runs outside the request."""

import ast
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from archive import curation
from archive.curation import relink as relink_module
from archive.ingest import importer
from archive.models import (
    Agency,
    Alias,
    Article,
    Candidate,
    Contractor,
    Entity,
    EntityRedirect,
    Mention,
    Program,
    ProgramStatus,
    Relationship,
    RelinkJob,
    Suppression,
)
from tests.markup import admin_form_data as form_data

CORECIVIC_ARTICLE = "ice-torrance-detainees-inadequate-staffing-unsanitary-facilities"
CREW = "Citizens for Responsibility and Ethics in Washington"
# What discovery suggests after the seed import, the catalogue naming CREW and NIYA itself:
# organisations the seed names by their context (tests/test_discovery.py has the rules).
PENDING_AFTER_SEED = {"Broward Transitional Center", "Sundance Institute"}
NIYA = "National Immigrant Youth Alliance"
NARA_CBP_ARTICLE = "national-archive-questions-cbp-auto-deleting-messages"
DEPORTED_ARTICLE = "man-deported-after-film-critical-of-ice-asks-court-to-roll-back-removal"

MODELS = [
    Article,
    Entity,
    Agency,
    Contractor,
    Program,
    Alias,
    Mention,
    Relationship,
    ProgramStatus,
    Candidate,
    EntityRedirect,
]


@pytest.fixture(autouse=True)
def crew_and_niya_as_candidates(request):
    """The catalogue names CREW and NIYA as organizations (issue 8), so discovery no longer
    suggests them; the review-queue tests need two suggestions the seed really holds, so
    within each test these two are taken out of the catalogue and suggested as discovery
    finds them (their names defined in brackets, in articles 3 and 10)."""
    if "seeded" not in request.fixturenames and "reuters_corp" not in request.fixturenames:
        return
    import inspect

    params = request.node.callspec.params.values() if hasattr(request.node, "callspec") else []
    words = {"CREW", "NIYA"}
    uses = (
        words & set(request.node.function.__code__.co_names)
        or any(w in inspect.getsource(request.node.function) for w in words)
        or any(
            v in (CREW, NIYA) or (hasattr(v, "__code__") and words & set(v.__code__.co_names))
            for v in params
            if isinstance(v, str) or hasattr(v, "__code__")
        )
    )
    if not uses:
        return
    request.getfixturevalue("seeded")
    from archive.ingest import discovery

    Entity.objects.filter(slug__in=["crew", "niya"]).delete()
    for slug in ("crew", "niya"):  # deleted as an editor would: a re-import leaves them out
        Suppression.objects.get_or_create(
            what=Suppression.What.ENTITY, key=Suppression.key_for(slug)
        )
    for article in Article.objects.filter(slug__in=[NARA_CBP_ARTICLE, DEPORTED_ARTICLE]):
        for s in discovery.find(article.body):
            if s.name in (CREW, NIYA) and not Candidate.objects.filter(key=s.key).exists():
                Candidate.objects.create(
                    name=s.name,
                    key=s.key,
                    acronym=s.acronym,
                    reason=s.reason,
                    suggested_kind=s.suggested_kind,
                    article=article,
                    passage=s.passage,
                )


@pytest.fixture(autouse=True)
def relink_inline(settings):
    """Whole-archive relinks run at once, in the test's transaction (which never commits)."""
    settings.RELINK_RUNNER = "inline"


def url(model, view, *args):
    return reverse(f"admin:archive_{model._meta.model_name}_{view}", args=args)


def inline_formset(page, model):
    """The formset of `model`'s inline on a change page."""
    return next(
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is model
    )


def mention_row(client, article, pick):
    """The article's change form as it would post unchanged, and the field prefix of the
    inline row of the first of its mentions `pick(mention)` accepts."""
    page = client.get(url(Article, "change", article.pk))
    fs = inline_formset(page, Mention)
    i = next(n for n, f in enumerate(fs.forms) if pick(f.instance))
    return form_data(page), f"{fs.prefix}-{i}-"


def reimport():
    return importer.run()


def run_action(client, model, action, objects, **extra):
    return client.post(
        url(model, "changelist"),
        {"action": action, "_selected_action": [o.pk for o in objects], **extra},
        follow=True,
    )


def one_object(model):
    if model is EntityRedirect:
        ice = Entity.objects.get(slug="ice")
        return EntityRedirect.objects.create(old_slug="immigration-customs", entity=ice)
    return model.objects.first()


# --- every page answers ---------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_answers(seeded, admin_client, model):
    one_object(model)
    assert admin_client.get(url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELS if m is not Entity], ids=lambda m: m.__name__)
def test_add_page_answers(seeded, admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


def test_entities_are_added_as_a_kind(seeded, admin_client):
    """A bare Entity has no kind: it is added as an agency, contractor or program."""
    assert admin_client.get(url(Entity, "add")).status_code == 403


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_page_answers(seeded, admin_client, model):
    obj = one_object(model)
    response = admin_client.get(url(model, "change", obj.pk), follow=True)
    assert response.status_code == 200
    assert response.context["original"].pk == obj.pk


def test_entity_change_leads_to_its_kind(seeded, admin_client):
    ice = Entity.objects.get(slug="ice")
    response = admin_client.get(url(Entity, "change", ice.pk))
    assert response.status_code == 302
    assert response["Location"] == url(Agency, "change", ice.pk)


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        (Entity, "ICE", "U.S. Immigration and Customs Enforcement"),
        (Agency, "ICE", "U.S. Immigration and Customs Enforcement"),
        (Contractor, "AWS", "Amazon"),  # through an alias
        (Article, "Fierce", "‘Fierce Commitment’"),
        (Candidate, "Youth", NIYA),
    ],
)
def test_search(seeded, admin_client, model, query, expected):
    response = admin_client.get(url(model, "changelist"), {"q": query})
    names = [str(o) for o in response.context["cl"].result_list]
    assert any(expected in n for n in names), names


def test_autocomplete_finds_entities(seeded, admin_client):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "ICE", "app_label": "archive", "model_name": "mention", "field_name": "entity"},
    )
    assert response.status_code == 200
    assert "U.S. Immigration and Customs Enforcement" in {
        r["text"].split(" (")[0] for r in response.json()["results"]
    }


def test_agency_list_shows_parent_and_children(seeded, admin_client):
    response = admin_client.get(url(Agency, "changelist"))
    rows = {a.slug: a for a in response.context["cl"].result_list}
    assert rows["ice"].parent.slug == "dhs"
    assert rows["dhs"].n_children == 3  # ICE, CBP and the DHS OIG
    assert rows["ice"].n_children == 1  # HSI


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, PENDING_AFTER_SEED),
        ({"state": "rejected"}, {"Refused"}),
        ({"state": "all"}, PENDING_AFTER_SEED | {"Refused"}),
    ],
)
def test_candidate_queue_defaults_to_pending(seeded, admin_client, params, expected):
    Candidate.objects.create(
        name="Refused",
        key="refused",
        reason="company",
        article=Article.objects.first(),
        passage="…",
        state="rejected",
    )
    response = admin_client.get(url(Candidate, "changelist"), params)
    assert {c.name for c in response.context["cl"].result_list} == expected


# --- edited fields survive a re-import ------------------------------------------------


def test_article_title_edit_survives_reimport(seeded, admin_client):
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    seed_title = article.title
    page = admin_client.get(url(Article, "change", article.pk))
    data = form_data(page) | {"title": "Torrance detention centre: staffing and sanitation"}
    response = admin_client.post(url(Article, "change", article.pk), data)
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    article.refresh_from_db()
    assert article.title == "Torrance detention centre: staffing and sanitation"
    assert article.edited_fields == ["title"]
    assert LogEntry.objects.filter(object_id=str(article.pk), action_flag=CHANGE).exists()

    summary = reimport()
    article.refresh_from_db()
    assert article.title != seed_title
    assert article.title == "Torrance detention centre: staffing and sanitation"
    assert summary.stats["article_fields_left_alone"] >= 1

    # The editor's fields are shown, and the mentions the form sent back are unchanged.
    page = admin_client.get(url(Article, "change", article.pk))
    assert "edited_fields" not in page.context["adminform"].form.fields
    assert article.mentions.filter(origin="editor").count() == 0


def test_entity_edit_survives_reimport(seeded, admin_client):
    ice = Agency.objects.get(slug="ice")
    page = admin_client.get(url(Agency, "change", ice.pk))
    data = form_data(page) | {"description": "The interior enforcement arm of DHS."}
    response = admin_client.post(url(Agency, "change", ice.pk), data)
    assert response.status_code == 302
    ice.refresh_from_db()
    assert ice.edited_fields == ["description"]
    summary = reimport()
    ice.refresh_from_db()
    assert ice.description == "The interior enforcement arm of DHS."
    assert summary.stats["entity_fields_left_alone"] == 1


def test_a_new_parent_drops_the_old_source_and_survives_reimport(seeded, admin_client):
    """The catalogue's source says CBP is part of DHS; an editor who files it elsewhere has
    not given that source for the new parent, so the page cites none until they do."""
    cbp, doj = Agency.objects.get(slug="cbp"), Agency.objects.get(slug="doj")
    assert cbp.parent_source["url"].startswith("https://www.dhs.gov/")
    page = admin_client.get(url(Agency, "change", cbp.pk))
    response = admin_client.post(
        url(Agency, "change", cbp.pk), form_data(page) | {"parent": doj.pk}
    )
    assert response.status_code == 302
    reimport()
    cbp.refresh_from_db()
    assert (cbp.parent_id, cbp.parent_source) == (doj.pk, {})
    assert set(cbp.edited_fields) == {"parent", "parent_source"}
    assert "(source:" not in admin_client.get("/agencies/cbp/").content.decode()


def test_a_deleted_parent_leaves_its_children_unfiled_import_after_import(seeded, admin_client):
    """An editor deletes ICE: HSI has no parent and no source, and each later import leaves
    it so (the catalogue's source for it is not written back)."""
    _delete(admin_client, Agency.objects.get(slug="ice"))
    reimport()
    hsi = Agency.objects.get(slug="hsi")
    assert (hsi.parent_id, hsi.parent_source) == (None, {})
    updated = hsi.updated
    summary = reimport()
    hsi.refresh_from_db()
    assert (hsi.parent_id, hsi.parent_source, hsi.updated) == (None, {}, updated)
    assert summary.stats["entities_updated"] == 0


def test_an_unchanged_admin_save_keeps_the_parent_source(seeded, admin_client):
    hsi = Agency.objects.get(slug="hsi")
    page = admin_client.get(url(Agency, "change", hsi.pk))
    assert admin_client.post(url(Agency, "change", hsi.pk), form_data(page)).status_code == 302
    hsi.refresh_from_db()
    assert hsi.edited_fields == [] and hsi.parent_source["paragraph"] >= 1


def test_release_fields_hands_them_back(seeded, admin_client):
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    seed_title = article.title
    article.title, article.edited_fields = "Edited", ["title"]
    article.save()
    run_action(admin_client, Article, "release_fields", [article])
    reimport()
    article.refresh_from_db()
    assert (article.title, article.edited_fields) == (seed_title, [])


# --- mentions -------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["rejected", "confirmed"])
def test_mention_state_survives_reimport(seeded, admin_client, state):
    m = Mention.objects.get(article__slug=CORECIVIC_ARTICLE, entity__slug="corecivic")
    response = admin_client.post(
        url(Mention, "change", m.pk),
        {"article": m.article_id, "entity": m.entity_id, "count": m.count, "state": state},
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.origin, m.state) == ("linker", state)
    assert ("CoreCivic" in m.article.entity_text) == (state == "confirmed")

    summary = reimport()
    m.refresh_from_db()
    assert (m.origin, m.state) == ("linker", state)
    assert summary.stats["mentions_left_alone"] >= 1


@pytest.mark.parametrize(
    ("field", "value"), [("state", "rejected"), ("DELETE", "on")], ids=["rejected", "deleted"]
)
def test_reject_mention_in_article_inline(seeded, admin_client, field, value):
    """Rejecting the linker's mention in the inline, or deleting it (which rejects it)."""
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    data, row = mention_row(admin_client, article, lambda m: m.entity.slug == "corecivic")
    data[f"{row}{field}"] = value
    assert admin_client.post(url(Article, "change", article.pk), data).status_code == 302
    reimport()
    m = Mention.objects.get(article=article, entity__slug="corecivic")
    assert m.state == "rejected"
    article.refresh_from_db()
    assert "CoreCivic" not in article.entity_text
    assert article.edited_fields == []  # only mentions changed


def test_editor_mention_added_in_mention_admin_survives(seeded, admin_client):
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    nsa = Entity.objects.get(slug="nsa")
    response = admin_client.post(
        url(Mention, "add"),
        {"article": article.pk, "entity": nsa.pk, "count": 0, "state": "confirmed"},
    )
    assert response.status_code == 302
    m = Mention.objects.get(article=article, entity=nsa)
    assert m.origin == "editor"
    assert LogEntry.objects.filter(object_id=str(m.pk), action_flag=ADDITION).exists()
    article.refresh_from_db()
    assert "National Security Agency" in article.entity_text

    reimport()
    m.refresh_from_db()
    assert (m.origin, m.state) == ("editor", "confirmed")


def test_editor_mention_added_in_article_inline_survives(seeded, admin_client):
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    nsa = Entity.objects.get(slug="nsa")
    page = admin_client.get(url(Article, "change", article.pk))
    data = form_data(page)
    fs = inline_formset(page, Mention)
    n = len(fs.forms)
    data |= {
        f"{fs.prefix}-TOTAL_FORMS": n + 1,
        f"{fs.prefix}-{n}-entity": nsa.pk,
        f"{fs.prefix}-{n}-count": 0,
        f"{fs.prefix}-{n}-state": "auto",
        f"{fs.prefix}-{n}-article": article.pk,
    }
    assert admin_client.post(url(Article, "change", article.pk), data).status_code == 302
    assert Mention.objects.get(article=article, entity=nsa).origin == "editor"
    reimport()
    assert Mention.objects.get(article=article, entity=nsa).origin == "editor"


def test_linker_mentions_cannot_be_deleted_only_rejected(seeded, admin_client):
    m = Mention.objects.filter(origin="linker").first()
    assert admin_client.get(url(Mention, "delete", m.pk)).status_code == 403
    run_action(admin_client, Mention, "reject", [m])
    m.refresh_from_db()
    assert m.state == "rejected"
    assert LogEntry.objects.filter(object_id=str(m.pk), action_flag=CHANGE).exists()


# --- relationships ---------------------------------------------------------------------


def test_relationship_edited_in_admin_is_kept(seeded, admin_client):
    rel = Relationship.objects.filter(amount="").select_related("article").first()
    data = {
        "subject": rel.subject_id,
        "kind": rel.kind,
        "object": rel.object_id,
        "article": rel.article_id,
        "quote": rel.quote,
        "amount": "$1",
        "period": rel.period,
    }
    assert admin_client.post(url(Relationship, "change", rel.pk), data).status_code == 302
    rel.refresh_from_db()
    assert (rel.amount, rel.edited_fields) == ("$1", ["amount"])
    summary = reimport()
    rel.refresh_from_db()
    assert rel.amount == "$1"
    assert summary.stats["relationships_left_alone"] == 1


def test_relationship_edited_in_entity_inline_is_marked_edited(seeded, admin_client):
    amazon = Contractor.objects.get(slug="amazon")
    page = admin_client.get(url(Contractor, "change", amazon.pk))
    data = form_data(page)
    fs = inline_formset(page, Relationship)
    assert fs.forms, "Amazon has outgoing relationships in the catalogue"
    rel = fs.forms[0].instance
    data[f"{fs.prefix}-0-period"] = "2019–2021"
    response = admin_client.post(url(Contractor, "change", amazon.pk), data)
    assert response.status_code == 302
    rel.refresh_from_db()
    assert (rel.period, rel.edited_fields) == ("2019–2021", ["period"])
    assert Relationship.objects.exclude(edited_fields=[]).count() == 1
    amazon.refresh_from_db()
    assert amazon.edited_fields == []
    reimport()
    rel.refresh_from_db()
    assert rel.period == "2019–2021"


def test_relationship_quote_must_be_in_the_article(seeded, admin_client):
    rel = Relationship.objects.first()
    data = {
        "subject": rel.subject_id,
        "kind": rel.kind,
        "object": rel.object_id,
        "article": rel.article_id,
        "quote": "Words the article never says.",
        "amount": "",
        "period": "",
    }
    response = admin_client.post(url(Relationship, "change", rel.pk), data)
    assert response.status_code == 200
    assert "quote" in response.context["adminform"].form.errors


# --- suggested names ------------------------------------------------------------------


def test_approve_candidate_as_contractor(seeded, admin_client):
    candidate = Candidate.objects.get(name=CREW)
    response = run_action(admin_client, Candidate, "approve_as_contractor", [candidate])
    assert response.status_code == 200
    entity = Contractor.objects.get(name=CREW)
    assert (entity.slug, entity.acronym) == (
        "citizens-for-responsibility-and-ethics-in-washington",
        "CREW",
    )
    candidate.refresh_from_db()
    assert (candidate.state, candidate.entity_id) == ("approved", entity.pk)
    m = Mention.objects.get(entity=entity)
    assert m.article_id == candidate.article_id
    # "Citizens for … Washington (CREW)" is one mention; "CREW" later is another.
    assert m.count == 2
    assert m.article.body[slice(*m.spans[0])] == f"{CREW} (CREW)"
    assert LogEntry.objects.filter(object_id=str(entity.pk), action_flag=ADDITION).exists()

    count = Candidate.objects.count()
    reimport()
    assert Contractor.objects.filter(name=CREW).count() == 1
    assert Mention.objects.filter(entity=entity, article_id=candidate.article_id).exists()
    assert Candidate.objects.count() == count


def test_reject_candidate_is_not_suggested_again(seeded, admin_client):
    candidate = Candidate.objects.get(name=NIYA)
    run_action(admin_client, Candidate, "reject", [candidate])
    candidate.refresh_from_db()
    assert candidate.state == "rejected"
    assert LogEntry.objects.filter(object_id=str(candidate.pk), action_flag=CHANGE).exists()
    count = Candidate.objects.count()
    summary = reimport()
    assert summary.stats["candidates_created"] == 0
    assert Candidate.objects.count() == count
    candidate.refresh_from_db()
    assert candidate.state == "rejected"
    assert not Entity.objects.filter(name=NIYA).exists()


@pytest.mark.parametrize("how", ["form", "action"])
def test_approve_candidate_as_alias(seeded, admin_client, how):
    """CREW approved as an alias of an entity the article did not name (the SEC, for the test)."""
    candidate = Candidate.objects.get(name=CREW)
    sec = Entity.objects.get(slug="sec")
    assert not Mention.objects.filter(entity=sec, article_id=candidate.article_id).exists()
    if how == "form":
        page = admin_client.get(url(Candidate, "change", candidate.pk))
        data = form_data(page) | {"entity": sec.pk, "state": "approved"}
        assert admin_client.post(url(Candidate, "change", candidate.pk), data).status_code == 302
    else:
        candidate.entity = sec
        candidate.save()
        run_action(admin_client, Candidate, "approve_as_alias", [candidate])
    candidate.refresh_from_db()
    assert candidate.state == "approved"
    assert {(a.name, a.case_sensitive, a.origin) for a in sec.aliases.all()} >= {
        (CREW, False, "editor"),
        ("CREW", True, "editor"),
    }
    assert LogEntry.objects.filter(object_id=str(sec.pk), action_flag=CHANGE).exists()
    m = Mention.objects.get(entity=sec, article_id=candidate.article_id)
    body = candidate.article.body
    assert [body[s:e] for s, e in m.spans] == [f"{CREW} (CREW)", "CREW"]
    reimport()
    m.refresh_from_db()
    assert m.count == 2
    assert "CREW" in m.article.entity_text


@pytest.mark.parametrize(
    ("action", "model"), [("approve_as_agency", Agency), ("approve_as_program", Program)]
)
def test_approve_from_the_candidate_change_form(seeded, admin_client, action, model):
    """Django 6.1 offers the actions on the object's own page too."""
    candidate = Candidate.objects.get(name=NIYA)
    page = admin_client.get(url(Candidate, "change", candidate.pk))
    assert action in dict(page.context["action_form"].fields["action"].choices)
    response = admin_client.post(
        url(Candidate, "change", candidate.pk),
        {"CHANGE_FORM-action": action, "_selected_action": candidate.pk},
    )
    assert response.status_code == 302
    entity = model.objects.get(name=NIYA)
    assert (entity.acronym, entity.kind) == ("NIYA", model.KIND)
    assert Mention.objects.filter(entity=entity, article_id=candidate.article_id).exists()


def test_approve_as_alias_needs_an_entity(seeded, admin_client):
    candidate = Candidate.objects.get(name=CREW)
    page = admin_client.get(url(Candidate, "change", candidate.pk))
    response = admin_client.post(
        url(Candidate, "change", candidate.pk), form_data(page) | {"state": "approved"}
    )
    assert response.status_code == 200
    assert "entity" in response.context["adminform"].form.errors


@pytest.mark.parametrize(("name", "expected"), [(CREW, False), ("CREW", True)])
def test_alias_case_sensitivity_follows_the_name(seeded, name, expected):
    candidate = Candidate.objects.get(name=CREW)
    candidate.name, candidate.acronym = name, ""
    curation.approve_candidate_as_alias(candidate, Entity.objects.get(slug="nara"))
    assert Alias.objects.get(entity__slug="nara", name=name).case_sensitive is expected


# --- merging --------------------------------------------------------------------------


@pytest.fixture
def reuters_corp(seeded):
    """A duplicate of Thomson Reuters, named in one article the target is not."""
    dup = Contractor.objects.create(name="Reuters Corp", slug="reuters-corp", acronym="RC")
    Alias.objects.create(entity=dup, name="Reuters Corporation")
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    Mention.objects.create(article=article, entity=dup, count=0, origin="editor", state="confirmed")
    return dup


def test_merge_confirmation_page_defaults_to_most_articles(reuters_corp, admin_client):
    tr = Entity.objects.get(slug="thomson-reuters")
    response = run_action(admin_client, Contractor, "merge_selected", [reuters_corp, tr])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/archive/merge_entities.html"
    assert response.context["default_target"].pk == tr.pk
    assert Entity.objects.filter(pk=reuters_corp.pk).exists()  # nothing merged yet


def test_merge_entities_in_admin(reuters_corp, admin_client):
    tr = Contractor.objects.get(slug="thomson-reuters")
    tr_mentions = set(tr.mentions.values_list("article_id", flat=True))
    response = run_action(
        admin_client, Contractor, "merge_selected", [reuters_corp, tr], post="yes", target=tr.pk
    )
    assert response.status_code == 200
    assert not Entity.objects.filter(slug="reuters-corp").exists()
    assert set(tr.mentions.values_list("article_id", flat=True)) == tr_mentions | {
        Article.objects.get(slug=CORECIVIC_ARTICLE).pk
    }
    moved = tr.mentions.get(article__slug=CORECIVIC_ARTICLE)
    assert (moved.origin, moved.state) == ("editor", "confirmed")
    assert {"Reuters Corp", "RC", "Reuters Corporation"} <= set(
        tr.aliases.values_list("name", flat=True)
    )
    assert Alias.objects.get(entity=tr, name="RC").case_sensitive
    assert EntityRedirect.objects.get(old_slug="reuters-corp").entity_id == tr.pk
    assert LogEntry.objects.filter(object_id=str(reuters_corp.pk), action_flag=DELETION).exists()
    assert LogEntry.objects.filter(object_id=str(tr.pk), action_flag=CHANGE).exists()
    assert "Thomson Reuters" in Article.objects.get(slug=CORECIVIC_ARTICLE).entity_text
    # The merged names are aliases now: every article is relinked (outside the request),
    # as when an editor saves an alias, and the editor is told.
    job = RelinkJob.objects.get()
    assert "Merged Reuters Corp into “Thomson Reuters”" in job.reason
    assert job.status == RelinkJob.Status.DONE  # run inline in the tests
    assert "relink" in " ".join(str(m) for m in get_messages(response.wsgi_request)).lower()

    reimport()
    assert not Entity.objects.filter(slug="reuters-corp").exists()
    assert tr.mentions.filter(article__slug=CORECIVIC_ARTICLE, state="confirmed").exists()


def test_merge_refuses_mixed_kinds(seeded, admin_client):
    ice, corecivic = Entity.objects.get(slug="ice"), Entity.objects.get(slug="corecivic")
    run_action(admin_client, Entity, "merge_selected", [ice, corecivic], post="yes", target=ice.pk)
    assert Entity.objects.filter(slug="corecivic").exists()
    with pytest.raises(curation.CurationError):
        curation.merge_entities(ice, [corecivic])


@pytest.mark.parametrize(
    ("target_state", "other_state", "expected"),
    [
        ("auto", "auto", "auto"),
        ("auto", "confirmed", "confirmed"),
        ("confirmed", "rejected", "rejected"),
        ("rejected", "confirmed", "rejected"),
    ],
)
def test_merge_combines_mentions_of_one_article(seeded, target_state, other_state, expected):
    tr = Contractor.objects.get(slug="thomson-reuters")
    kept = tr.mentions.get(article__slug="ice-loses-access-to-utility-customer-records")
    kept.state = target_state
    kept.save()
    dup = Contractor.objects.create(name="Reuters Corp", slug="reuters-corp")
    Mention.objects.create(
        article=kept.article, entity=dup, count=2, spans=[[0, 3]], state=other_state
    )
    curation.merge_entities(tr, [dup])
    kept.refresh_from_db()
    assert kept.state == expected
    # Relinked: the linker's own count and spans stand (no "Reuters Corp" in the text).
    assert kept.count == 4


def test_merge_catalogue_entities_is_not_undone_by_reimport(seeded):
    """Merging WhatsApp into Wickr (both in the catalogue): the import keeps the merge."""
    wickr, whatsapp = Program.objects.get(slug="wickr"), Program.objects.get(slug="whatsapp")
    articles = set(whatsapp.mentions.values_list("article_id", flat=True))
    rels = (
        Relationship.objects.filter(subject=whatsapp).count()
        + Relationship.objects.filter(object=whatsapp).count()
    )
    redirect = EntityRedirect.objects.create(old_slug="whats-app", entity=whatsapp)
    result = curation.merge_entities(wickr, [whatsapp])
    assert result.merged == ["WhatsApp"]
    assert articles <= set(wickr.mentions.values_list("article_id", flat=True))
    redirect.refresh_from_db()
    assert redirect.entity_id == wickr.pk  # earlier redirects follow the merge

    summary = reimport()
    assert not Entity.objects.filter(slug="whatsapp").exists()
    assert summary.stats["entities_left_alone"] == 1
    assert summary.stats["relationships_created"] == 0
    assert (
        Relationship.objects.filter(subject=wickr).count()
        + Relationship.objects.filter(object=wickr).count()
        >= rels
    )
    assert Alias.objects.filter(entity=wickr, name="WhatsApp").count() == 1


def test_merge_moves_child_agencies_and_statuses(seeded):
    dhs, ice = Agency.objects.get(slug="dhs"), Agency.objects.get(slug="ice")
    dup = Agency.objects.create(name="Dept. of Homeland Security", slug="dept-homeland-security")
    child = Agency.objects.create(name="Some Office", slug="some-office", parent=dup)
    curation.merge_entities(dhs, [dup])
    child.refresh_from_db()
    assert child.parent_id == dhs.pk
    ice.refresh_from_db()
    assert ice.parent_id == dhs.pk

    clear = Program.objects.get(slug="clear")
    statuses = clear.status_history.count()
    dup_program = Program.objects.create(name="CLEAR database", slug="clear-database")
    for ps in clear.status_history.all()[:1]:
        ProgramStatus.objects.create(
            program=dup_program, status=ps.status, year=ps.year, article=ps.article, quote=ps.quote
        )  # a duplicate claim
    curation.merge_entities(clear, [dup_program])
    assert clear.status_history.count() == statuses


# --- relinking ------------------------------------------------------------------------


def test_relink_action_restores_removed_mentions(seeded, admin_client):
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    Mention.objects.filter(article=article, entity__slug="corecivic").delete()
    run_action(admin_client, Article, "relink", [article])
    assert Mention.objects.filter(
        article=article, entity__slug="corecivic", origin="linker"
    ).exists()
    assert LogEntry.objects.filter(object_id=str(article.pk), action_flag=CHANGE).exists()


def test_alias_added_in_admin_links_articles(seeded, admin_client):
    corecivic = Entity.objects.get(slug="corecivic")
    response = admin_client.post(
        url(Alias, "add"), {"entity": corecivic.pk, "name": "Torrance County Detention Facility"}
    )
    assert response.status_code == 302
    alias = Alias.objects.get(name="Torrance County Detention Facility")
    assert alias.origin == "editor"
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    assert "Torrance County Detention Facility" in article.body
    assert Mention.objects.get(article=article, entity=corecivic).count > 3


def test_an_edited_catalogue_alias_survives_reimport(seeded, admin_client):
    """Renaming a catalogue alias makes it the editor's: the import neither restores the old
    name nor deletes the new one."""
    alias = Alias.objects.get(entity__slug="thomson-reuters", name="Reuters")
    response = admin_client.post(
        url(Alias, "change", alias.pk),
        {"entity": alias.entity_id, "name": "Reuters News", "case_sensitive": ""},
    )
    assert response.status_code == 302
    importer.run()
    names = set(Alias.objects.filter(entity__slug="thomson-reuters").values_list("name", flat=True))
    assert "Reuters News" in names
    assert Alias.objects.get(name="Reuters News").origin == "editor"


def test_merge_keeps_the_moved_description_after_reimport(seeded):
    wickr = Entity.objects.get(slug="wickr")
    blank = Program.objects.create(name="Wickr Inc", slug="wickr-inc", description="")
    curation.merge_entities(blank, [wickr])
    importer.run()
    assert Entity.objects.get(slug="wickr-inc").description == wickr.description


# -- deleting a catalogue item in the admin is remembered by the import ------------------
def _delete(admin_client, obj):
    response = admin_client.post(url(type(obj), "delete", obj.pk), {"post": "yes"})
    assert response.status_code == 302, response.content[:500]


@pytest.mark.parametrize(
    "find, still_gone",
    [
        (
            lambda: Relationship.objects.get(
                subject__slug="amazon", kind="owns", object__slug="wickr"
            ),
            lambda: not Relationship.objects.filter(subject__slug="amazon", kind="owns").exists(),
        ),
        (
            lambda: Alias.objects.get(entity__slug="thomson-reuters", name="Reuters"),
            lambda: (
                not Alias.objects.filter(entity__slug="thomson-reuters", name="Reuters").exists()
            ),
        ),
        (
            lambda: ProgramStatus.objects.get(program__slug="raven", status="proposed"),
            lambda: (
                not ProgramStatus.objects.filter(program__slug="raven", status="proposed").exists()
            ),
        ),
        (
            lambda: Contractor.objects.get(slug="apple"),
            lambda: not Entity.objects.filter(slug="apple").exists(),
        ),
    ],
    ids=["relationship", "alias", "program-status", "entity"],
)
def test_a_deleted_catalogue_item_stays_deleted_after_reimport(
    seeded, admin_client, find, still_gone
):
    _delete(admin_client, find())
    assert still_gone()
    importer.run()
    assert still_gone()


def test_deleting_the_suppression_lets_the_import_restore_it(seeded, admin_client):
    _delete(admin_client, Contractor.objects.get(slug="apple"))
    Suppression.objects.filter(key="apple").delete()
    importer.run()
    assert Entity.objects.filter(slug="apple").exists()


# --- records: suppressions and relink jobs are lists to read ----------------------------


@pytest.mark.parametrize("model", [Suppression, RelinkJob], ids=lambda m: m.__name__)
def test_records_answer_and_cannot_be_added(seeded, admin_client, admin_user, model):
    if model is Suppression:
        obj = Suppression.objects.create(what="entity", key="apple")
    else:
        obj = RelinkJob.objects.create(reason="Alias “X” saved", requested_by=admin_user)
    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200
    assert admin_client.get(url(model, "add")).status_code == 403


# --- relinking every article runs outside the request -----------------------------------


def _messages(response) -> str:
    return "\n".join(str(m) for m in response.context["messages"])


def test_an_alias_saved_queues_a_relink_started_after_commit(
    seeded, admin_client, admin_user, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.RELINK_RUNNER = "subprocess"
    started = []
    monkeypatch.setattr(
        relink_module.subprocess, "Popen", lambda args, **kw: started.append((args, kw))
    )
    corecivic = Entity.objects.get(slug="corecivic")
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    before = Mention.objects.get(article=article, entity=corecivic).count
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url(Alias, "add"),
            {"entity": corecivic.pk, "name": "Torrance County Detention Facility"},
            follow=True,
        )
    job = RelinkJob.objects.get()
    assert (job.status, job.requested_by, job.started) == ("queued", admin_user, None)
    assert "Torrance County Detention Facility" in job.reason
    # The request did not relink: the job will.
    assert Mention.objects.get(article=article, entity=corecivic).count == before
    [(args, kw)] = started
    assert args[1:] == ["manage.py", "relink", "--job", str(job.pk)]
    assert kw["start_new_session"] is True
    assert kw["cwd"] == settings.BASE_DIR
    assert kw["stdout"] == kw["stderr"] == subprocess.DEVNULL
    # The editor is told it is under way, with a link to the job.
    told = _messages(response)
    assert "under way" in told
    assert url(RelinkJob, "change", job.pk) in told

    call_command("relink", job=job.pk, stdout=io.StringIO())
    job.refresh_from_db()
    assert job.status == "done"
    assert job.started <= job.finished
    assert job.result.startswith(f"Relinked {Article.objects.count()} articles:")
    assert Mention.objects.get(article=article, entity=corecivic).count > before


def test_a_queued_relink_is_reused_not_doubled(seeded, admin_user, settings):
    settings.RELINK_RUNNER = "subprocess"
    first = curation.queue_relink("Alias “A” saved", admin_user)
    second = curation.queue_relink("Alias “B” saved", admin_user)
    assert second.pk == first.pk
    assert RelinkJob.objects.get().reason == "Alias “A” saved; Alias “B” saved"
    # A job already running read the old names: a new change needs a new job.
    RelinkJob.objects.filter(pk=first.pk).update(status="running")
    third = curation.queue_relink("Alias “C” saved", admin_user)
    assert third.pk != first.pk
    assert (third.status, third.reason) == ("queued", "Alias “C” saved")


def test_the_relink_command_moves_a_job_through_its_states(
    seeded, admin_user, settings, monkeypatch
):
    settings.RELINK_RUNNER = "subprocess"
    job = curation.queue_relink("Name or acronym of “X” changed", admin_user)
    seen = []
    relink_everything = relink_module.relink_everything

    def spy():
        seen.append(RelinkJob.objects.values_list("status", "started", "finished").get(pk=job.pk))
        return relink_everything()

    monkeypatch.setattr(relink_module, "relink_everything", spy)
    out = io.StringIO()
    call_command("relink", job=job.pk, stdout=out)
    [(status, started, finished)] = seen
    assert (status, started is not None, finished) == ("running", True, None)
    job.refresh_from_db()
    assert (job.status, job.announced) == ("done", False)
    assert job.finished >= job.started
    assert "\n" not in job.result and "mentions created" in job.result
    assert job.result in out.getvalue()

    # Run again, it is left alone: it is no longer queued.
    out = io.StringIO()
    call_command("relink", job=job.pk, stdout=out)
    assert "left alone" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("relink", job=job.pk + 1000, stdout=io.StringIO())


def test_a_failed_relink_records_the_error(seeded, admin_user, settings, monkeypatch):
    settings.RELINK_RUNNER = "subprocess"
    job = curation.queue_relink("Alias “A” saved", admin_user)

    def broken():
        raise RuntimeError("disk full")

    monkeypatch.setattr(relink_module, "relink_everything", broken)
    with pytest.raises(CommandError):
        call_command("relink", job=job.pk, stdout=io.StringIO())
    job.refresh_from_db()
    assert (job.status, job.result) == ("failed", "RuntimeError: disk full")
    assert job.finished is not None


def test_relink_pending_runs_every_queued_job_and_plain_relink_runs_now(seeded, admin_user):
    jobs = [RelinkJob.objects.create(reason=f"Reason {i}", requested_by=admin_user) for i in (1, 2)]
    done = RelinkJob.objects.create(reason="Earlier", status="done", result="Earlier result")
    out = io.StringIO()
    call_command("relink", pending=True, stdout=out)
    assert [j.status for j in RelinkJob.objects.filter(pk__in=[j.pk for j in jobs])] == [
        "done",
        "done",
    ]
    done.refresh_from_db()
    assert done.result == "Earlier result"
    out = io.StringIO()
    call_command("relink", stdout=out)
    assert out.getvalue().startswith(f"Relinked {Article.objects.count()} articles:")


def test_the_inline_runner_relinks_at_once_and_says_so(seeded, admin_client, admin_user):
    corecivic = Entity.objects.get(slug="corecivic")
    response = admin_client.post(
        url(Alias, "add"), {"entity": corecivic.pk, "name": "Torrance County"}, follow=True
    )
    job = RelinkJob.objects.get()
    assert (job.status, job.requested_by, job.announced) == ("done", admin_user, True)
    assert job.started and job.finished
    told = _messages(response)
    assert "Every article was relinked" in told
    assert url(RelinkJob, "change", job.pk) in told


def test_the_editor_is_told_once_when_their_relink_finished(
    seeded, admin_client, admin_user, django_user_model
):
    other = django_user_model.objects.create(username="other")
    mine = RelinkJob.objects.create(
        reason="Alias “A” saved", requested_by=admin_user, status="done", result="Relinked 10."
    )
    failed = RelinkJob.objects.create(
        reason="Alias “B” saved", requested_by=admin_user, status="failed", result="Boom."
    )
    running = RelinkJob.objects.create(reason="C", requested_by=admin_user, status="running")
    theirs = RelinkJob.objects.create(reason="D", requested_by=other, status="done")
    told = _messages(admin_client.get(url(Article, "changelist")))
    assert f"relink job #{mine.pk}</a>). Relinked 10." in told
    assert f"relink job #{failed.pk}</a>): Boom." in told
    assert f"#{running.pk}<" not in told and f"#{theirs.pk}<" not in told
    # Told once: the next page says nothing more.
    assert "relink job" not in _messages(admin_client.get(url(Agency, "changelist")))


# --- curation holds every rule ---------------------------------------------------------


def _linker_mention():
    return Mention.objects.get(article__slug=CORECIVIC_ARTICLE, entity__slug="corecivic")


def _new_relationship():
    rel = Relationship.objects.select_related("article").first()
    acme = Contractor.objects.create(name="Acme Surveillance", slug="acme-surveillance")
    return Relationship(
        subject=acme, kind=rel.kind, object=rel.object, article=rel.article, quote=rel.quote
    )


def _changed(obj, **values):
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


def _article():
    return _changed(Article.objects.get(slug=CORECIVIC_ARTICLE), title="T", dept="D")


def _ice(**values):
    return lambda: _changed(Agency.objects.get(slug="ice"), **values)


def _new_contractor():
    return Contractor(name="Acme Surveillance", slug="acme-surveillance")


def _new_alias():
    return Alias(entity=Entity.objects.get(slug="nara"), name="The Archives")


def _renamed_alias():
    return _changed(Alias.objects.get(name="Reuters"), name="Reuters News")


def _new_mention():
    nsa = Entity.objects.get(slug="nsa")
    return Mention(article=Article.objects.get(slug=CORECIVIC_ARTICLE), entity=nsa)


def _re_pointed_mention():
    return _changed(_linker_mention(), entity=Entity.objects.get(slug="nsa"))


def _confirmed_mention():
    return _changed(_linker_mention(), state="confirmed")


def _changed_relationship():
    return _changed(Relationship.objects.filter(amount="").first(), amount="$1")


IMPORTED = sorted(Relationship.IMPORTED_FIELDS)
SAVE = {
    Article: curation.save_article,
    Entity: curation.save_entity,
    Alias: curation.save_alias,
    Mention: curation.save_mention,
    Relationship: curation.save_relationship,
}
# id: (the object as the form left it, the fields it changed, the field a rule sets and
# its value, whether every article is relinked); an object not yet saved is added.
SAVE_RULES = {
    "article-curated-fields": (_article, ["title", "dept"], "edited_fields", ["dept", "title"], 0),
    "entity-description": (_ice(description="N."), ["description"], "edited_fields", None, 0),
    "entity-acronym": (_ice(acronym="I.C.E."), ["acronym"], "edited_fields", ["acronym"], 1),
    "entity-new": (_new_contractor, ["name", "slug"], "edited_fields", ["name"], 1),
    "alias-new": (_new_alias, ["entity", "name"], "origin", "editor", 1),
    "alias-renamed": (_renamed_alias, ["name"], "origin", "editor", 1),
    "mention-added": (_new_mention, ["article", "entity"], "origin", "editor", 0),
    "mention-re-pointed": (_re_pointed_mention, ["entity"], "origin", "editor", 0),
    "mention-state-only": (_confirmed_mention, ["state"], "origin", "linker", 0),
    "relationship-new": (_new_relationship, ["quote"], "edited_fields", IMPORTED, 0),
    "relationship-changed": (_changed_relationship, ["amount"], "edited_fields", ["amount"], 0),
}


@pytest.mark.parametrize(
    ("find", "changed", "field", "value", "relinks_everything"),
    SAVE_RULES.values(),
    ids=SAVE_RULES.keys(),
)
def test_save_rules(seeded, admin_user, find, changed, field, value, relinks_everything):
    obj = find()
    created = obj._state.adding
    action = next(f for model, f in SAVE.items() if isinstance(obj, model))
    result = action(obj, changed, admin_user, created=created)
    obj.refresh_from_db()
    assert getattr(obj, field) == (changed if value is None else value)
    assert (result.job is not None) == bool(relinks_everything)
    [entry] = LogEntry.objects.filter(object_id=str(obj.pk), user=admin_user)
    assert entry.action_flag == (ADDITION if created else CHANGE)


@pytest.mark.parametrize(
    ("find", "changed", "action", "message"),
    [
        (
            lambda: _changed(Article.objects.get(slug=CORECIVIC_ARTICLE), slug="moved"),
            ["slug"],
            "save_article",
            "slug: set when it is added",
        ),
        (
            lambda: _changed(Relationship.objects.first(), quote="Words never said."),
            ["quote"],
            "save_relationship",
            "Copy the sentence exactly",
        ),
        (
            lambda: _changed(
                Relationship.objects.first(), object=Relationship.objects.first().subject
            ),
            ["object"],
            "save_relationship",
            "cannot stand in a relationship with itself",
        ),
        (
            lambda: _changed(ProgramStatus.objects.first(), quote="Words never said."),
            ["quote"],
            "save_program_status",
            "Copy the sentence exactly",
        ),
        (
            lambda: _changed(Candidate.objects.get(name=NIYA), state="approved"),
            ["state"],
            "save_candidate",
            "Choose the entity this name is an alias of",
        ),
    ],
    ids=["fixed-slug", "quote", "itself", "status-quote", "approved-without-entity"],
)
def test_save_refuses_what_breaks_a_rule(seeded, admin_user, find, changed, action, message):
    obj = find()
    with pytest.raises(curation.CurationError, match=message):
        getattr(curation, action)(obj, changed, admin_user)
    assert not LogEntry.objects.exists()


def test_a_candidate_name_is_suggested_once(seeded, admin_user):
    copy = Candidate(name=CREW.upper(), reason="company", article=Article.objects.first())
    assert curation.candidate_errors(copy.name, "pending", None, created=True) == {
        "name": "This name was already suggested."
    }
    with pytest.raises(curation.CurationError):
        curation.save_candidate(copy, ["name"], admin_user, created=True)


# (how to find it, does it remain, its state if it does, the suppression it leaves, whether
# every article is relinked)
DELETE_RULES = [
    (_linker_mention, True, "rejected", None, False),
    (
        lambda: Mention.objects.create(
            article=Article.objects.get(slug=CORECIVIC_ARTICLE),
            entity=Entity.objects.get(slug="nsa"),
            origin="editor",
        ),
        False,
        None,
        None,
        False,
    ),
    (
        lambda: Alias.objects.get(entity__slug="thomson-reuters", name="Reuters"),
        False,
        None,
        ("alias", "thomson-reuters|Reuters"),
        True,
    ),
    (
        lambda: Alias.objects.create(entity=Entity.objects.get(slug="nara"), name="Archives"),
        False,
        None,
        None,
        True,
    ),
    (
        lambda: Relationship.objects.get(subject__slug="amazon", kind="owns", object__slug="wickr"),
        False,
        None,
        ("relationship", None),
        False,
    ),
    (
        lambda: ProgramStatus.objects.get(program__slug="raven", status="proposed"),
        False,
        None,
        ("status", None),
        False,
    ),
    (lambda: Contractor.objects.get(slug="apple"), False, None, ("entity", "apple"), False),
    (lambda: Article.objects.get(slug=CORECIVIC_ARTICLE), False, None, ("article", None), False),
]


@pytest.mark.parametrize(
    ("find", "remains", "state", "suppression", "relinks_everything"),
    DELETE_RULES,
    ids=[
        "linker-mention",
        "editor-mention",
        "catalogue-alias",
        "editor-alias",
        "relationship",
        "program-status",
        "entity",
        "article",
    ],
)
def test_delete_rules(seeded, admin_user, find, remains, state, suppression, relinks_everything):
    obj = find()
    model, pk = type(obj), obj.pk
    result = curation.delete_items([obj], admin_user)
    row = model.objects.filter(pk=pk).first()
    assert (row is not None) == remains
    if remains:
        assert row.state == state
        assert result.warnings
    made = list(Suppression.objects.values_list("what", "key"))
    if suppression is None:
        assert made == []
    else:
        what, key = suppression
        assert [w for w, _ in made] == [what]
        assert key is None or made == [(what, key)]
    assert (result.job is not None) == relinks_everything
    [entry] = LogEntry.objects.filter(object_id=str(pk), user=admin_user)
    assert entry.action_flag == (CHANGE if remains else DELETION)


@pytest.mark.parametrize(
    ("slugs", "target", "message"),
    [
        (["ice"], "ice", "Select two or more entities"),
        (["ice", "corecivic"], "ice", "Only entities of one kind"),
        (["ice", "cbp"], "nsa", "Choose the entity to keep"),
    ],
    ids=["one", "mixed-kinds", "target-not-selected"],
)
def test_merge_checks_live_in_one_place(seeded, slugs, target, message):
    """The confirmation page and the merge itself ask the same checks."""
    entities = list(Entity.objects.filter(slug__in=slugs))
    chosen = Entity.objects.get(slug=target)
    with pytest.raises(curation.CurationError, match=message):
        curation.plan_merge(entities).target(chosen.pk)
    if chosen in entities:
        with pytest.raises(curation.CurationError, match=message):
            curation.merge_entities(chosen, entities)


def test_merge_plan_puts_the_entity_with_most_articles_first(reuters_corp):
    tr = Entity.objects.get(slug="thomson-reuters")
    plan = curation.plan_merge([reuters_corp, tr])
    assert plan.default_target.pk == tr.pk
    assert plan.target(str(reuters_corp.pk)).pk == reuters_corp.pk


@pytest.mark.parametrize(
    ("action", "args", "field", "value", "message"),
    [
        ("set_mention_state", ["rejected"], "state", "rejected", "1 mention set to rejected"),
        ("mark_reviewed", [], "reviewed", True, "1 entity marked reviewed"),
        ("release_fields", [], "edited_fields", [], "Handed the edited fields of 1 row"),
        ("reject_candidates", [], "state", "rejected", "Rejected 1 candidate entity"),
    ],
)
def test_list_actions_change_only_what_differs(
    seeded, admin_user, action, args, field, value, message
):
    obj = {
        "set_mention_state": _linker_mention,
        "mark_reviewed": lambda: Agency.objects.filter(reviewed=False).first(),
        "release_fields": lambda: _changed(Agency.objects.get(slug="ice"), edited_fields=["name"]),
        "reject_candidates": lambda: Candidate.objects.get(name=NIYA),
    }[action]()
    obj.save()
    model = type(obj)
    result = getattr(curation, action)(model.objects.filter(pk=obj.pk), *args, admin_user)
    assert result.message.startswith(message)
    assert getattr(model.objects.get(pk=obj.pk), field) == value
    again = getattr(curation, action)(model.objects.filter(pk=obj.pk), *args, admin_user)
    assert re.search(r"\b0\b", again.message), again.message
    assert LogEntry.objects.filter(object_id=str(obj.pk), action_flag=CHANGE).count() == 1


# --- the history: written once, with Django's flags ------------------------------------


def _history(model, pk) -> list[int]:
    ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
    return list(
        LogEntry.objects.filter(content_type=ct, object_id=str(pk)).values_list(
            "action_flag", flat=True
        )
    )


def test_each_admin_change_is_logged_once_with_djangos_flags(seeded, admin_client):
    nara = Entity.objects.get(slug="nara")
    admin_client.post(url(Alias, "add"), {"entity": nara.pk, "name": "The Archives"})
    alias = Alias.objects.get(name="The Archives")
    assert _history(Alias, alias.pk) == [ADDITION]

    admin_client.post(
        url(Alias, "change", alias.pk),
        {"entity": nara.pk, "name": "Archives", "case_sensitive": ""},
    )
    assert _history(Alias, alias.pk) == [CHANGE, ADDITION]
    change = LogEntry.objects.filter(object_id=str(alias.pk), action_flag=CHANGE).get()
    assert change.get_change_message() == "Changed Name."

    rel = Relationship.objects.get(subject__slug="amazon", kind="owns", object__slug="wickr")
    _delete(admin_client, rel)
    assert _history(Relationship, rel.pk) == [DELETION]

    candidate = Candidate.objects.get(name=NIYA)
    run_action(admin_client, Candidate, "approve_as_program", [candidate])
    program = Program.objects.get(name=NIYA)
    assert _history(Program, program.pk) == [ADDITION]
    assert _history(Candidate, candidate.pk) == [CHANGE]
    assert set(LogEntry.objects.values_list("action_flag", flat=True)) <= {
        ADDITION,
        CHANGE,
        DELETION,
    }


def test_an_inline_change_is_logged_on_its_object_once(seeded, admin_client):
    """Rejecting a linker mention by deleting it in the article's inline: one entry, on the
    article, saying what happened to the mention (as Django words inline changes)."""
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    m = _linker_mention()
    data, row = mention_row(admin_client, article, lambda mention: mention.pk == m.pk)
    data[f"{row}DELETE"] = "on"
    response = admin_client.post(url(Article, "change", article.pk), data, follow=True)
    assert "marked rejected rather than deleted" in _messages(response)
    [entry] = LogEntry.objects.all()
    assert (entry.object_id, entry.action_flag) == (str(article.pk), CHANGE)
    assert entry.get_change_message() == f"Changed State for mention “{m}”."


def test_merge_logs_the_deletions_and_the_change(reuters_corp, admin_user):
    tr = Entity.objects.get(slug="thomson-reuters")
    dup = reuters_corp.pk
    curation.merge_entities(tr, [reuters_corp], admin_user)
    # Logged as contractors, so each shows on the contractor's own history page.
    assert _history(Contractor, dup) == [DELETION]
    assert _history(Contractor, tr.pk) == [CHANGE]


# --- the shape of the code: rules in curation, the admin translates ----------------------

ADMIN = Path(__file__).resolve().parent.parent / "archive" / "admin"
CURATION = ADMIN.parent / "curation"
# Calls that write rows (or set what a rule decides); the admin leaves them to curation.
WRITES = {
    "save",
    "delete",
    "create",
    "update",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "mark_edited",
    "log_actions",
}
RULE_NAMES = {"LogEntry", "fold_key", "Suppression.of", "Origin", "objects", "link_articles"}


def _is_super_call(node) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


@pytest.mark.parametrize("path", sorted(ADMIN.glob("*.py")), ids=lambda p: p.name)
def test_the_admin_holds_no_rules(path):
    """No admin module writes rows, sets fields, queries, logs or hides state on the
    request: it calls curation. (Django's own super() calls, and a formset's
    save(commit=False), which only collects what the form changed, are allowed.)"""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            collects = any(
                k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
                for k in node.keywords
            )
            if node.func.attr in WRITES and not _is_super_call(node.func.value) and not collects:
                problems.append(f"{where}: .{node.func.attr}(…)")
        if isinstance(node, ast.Attribute) and ast.unparse(node).split(".")[-1] in RULE_NAMES:
            problems.append(f"{where}: {ast.unparse(node)}")
        if isinstance(node, ast.Name) and node.id in RULE_NAMES:
            problems.append(f"{where}: {node.id}")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                elts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                for attr in [n for n in elts if isinstance(n, ast.Attribute)]:
                    # Django's own ways to title the site and render an action's page.
                    if not ast.unparse(attr).startswith(("request.current_app", "admin.site.")):
                        problems.append(f"{where}: sets {ast.unparse(attr)}")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            ("ingest", "names", "django.contrib.admin.models")
        ):
            problems.append(f"{where}: imports {node.module}")
    assert problems == [], problems


@pytest.mark.parametrize("path", sorted(CURATION.glob("*.py")), ids=lambda p: p.name)
def test_curation_never_reaches_into_the_pages(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 2
    }
    assert not imported & {"admin", "search", "views", "selectors"}
