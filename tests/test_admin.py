"""The editors' admin: every page answers, and curation survives a re-import."""

import pytest
from django import forms
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.urls import reverse

from archive.ingest import curation, importer
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
)

CORECIVIC_ARTICLE = "ice-torrance-detainees-inadequate-staffing-unsanitary-facilities"
CREW = "Citizens for Responsibility and Ethics in Washington"
NIYA = "National Immigrant Youth Alliance"

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


def url(model, view, *args):
    return reverse(f"admin:archive_{model._meta.model_name}_{view}", args=args)


def form_data(response):
    """The POST body the change form would send unchanged (main form and every inline)."""
    data = {}

    def put(form, prefix=""):
        for name, field in form.fields.items():
            key = f"{prefix}{name}"
            value = form[name].value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
                continue
            data[key] = "" if value is None else value

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        fs = inline.formset
        put(fs.management_form, f"{fs.prefix}-")
        for i, f in enumerate(fs.forms):
            put(f, f"{fs.prefix}-{i}-")
    return data


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
    assert rows["dhs"].n_children == 2  # ICE and the DHS OIG
    assert rows["ice"].n_children == 1  # HSI


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {CREW, NIYA}),
        ({"state": "rejected"}, {"Refused"}),
        ({"state": "all"}, {CREW, NIYA, "Refused"}),
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


def test_reject_mention_in_article_inline(seeded, admin_client):
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    page = admin_client.get(url(Article, "change", article.pk))
    data = form_data(page)
    fs = next(
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is Mention
    )
    i = next(n for n, f in enumerate(fs.forms) if f.instance.entity.slug == "corecivic")
    data[f"{fs.prefix}-{i}-state"] = "rejected"
    assert admin_client.post(url(Article, "change", article.pk), data).status_code == 302
    reimport()
    m = Mention.objects.get(article=article, entity__slug="corecivic")
    assert m.state == "rejected"
    article.refresh_from_db()
    assert "CoreCivic" not in article.entity_text
    assert article.edited_fields == []  # only mentions changed


def test_deleting_a_linker_mention_in_the_inline_rejects_it(seeded, admin_client):
    article = Article.objects.get(slug=CORECIVIC_ARTICLE)
    page = admin_client.get(url(Article, "change", article.pk))
    data = form_data(page)
    fs = next(
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is Mention
    )
    i = next(n for n, f in enumerate(fs.forms) if f.instance.entity.slug == "corecivic")
    data[f"{fs.prefix}-{i}-DELETE"] = "on"
    assert admin_client.post(url(Article, "change", article.pk), data).status_code == 302
    reimport()
    assert Mention.objects.get(article=article, entity__slug="corecivic").state == "rejected"


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
    fs = next(
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is Mention
    )
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
    fs = next(
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is Relationship
    )
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
    wickr, whatsapp = Contractor.objects.get(slug="wickr"), Contractor.objects.get(slug="whatsapp")
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
    from archive.ingest import curation

    wickr = Entity.objects.get(slug="wickr")
    blank = Contractor.objects.create(name="Wickr Inc", slug="wickr-inc", description="")
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
    from archive.models import Suppression

    _delete(admin_client, Contractor.objects.get(slug="apple"))
    Suppression.objects.filter(key="apple").delete()
    importer.run()
    assert Entity.objects.filter(slug="apple").exists()
