"""A merge keeps every piece of evidence: the preview says what moves, what is identical
and what differs; a claim with another amount or period is another claim and is kept; a
claim the kept entity states in other words is dropped only when the editor confirms."""

import pytest
from django.urls import reverse

from archive import curation
from archive.curation.merge import IDENTICAL, MOVES, REWORDED, SELF, evidence
from archive.models import Article, Contractor, Entity, Relationship

from .spec import WYDEN

Q1 = "Acme sold the data to ICE."
Q2 = "Acme funds the program."
Q3 = "The program is paid for by Acme."

# (id, subject, kind, object, amount, period, quote): A is kept, B merged into it.
CLAIMS = [
    ("a-sells-ice", "a", "sells_to", "ice", "", "", Q1),
    ("b-sells-ice", "b", "sells_to", "ice", "", "", Q1),  # identical to A's
    ("a-sells-cbp-2019", "a", "sells_to", "cbp", "", "2019", Q1),
    ("b-sells-cbp-2020", "b", "sells_to", "cbp", "", "2020", Q1),  # another period: kept
    ("a-funds-ice", "a", "funds", "ice", "$5", "", Q2),
    ("b-funds-ice", "b", "funds", "ice", "$5", "", Q3),  # same claim, other words
    ("b-supplies-dhs", "b", "supplies", "dhs", "", "", Q1),  # A has nothing like it
    ("b-owns-a", "b", "owns", "a", "", "", Q1),  # would say A owns A
]
OUTCOMES = {
    "b-sells-ice": IDENTICAL,
    "b-sells-cbp-2020": MOVES,
    "b-funds-ice": REWORDED,
    "b-supplies-dhs": MOVES,
    "b-owns-a": SELF,
}


@pytest.fixture
def pair(seeded):
    a = Contractor.objects.create(name="Acme Data", slug="a")
    b = Contractor.objects.create(name="Acme Data Inc", slug="b")
    ends = {"a": a, "b": b} | {s: Entity.objects.get(slug=s) for s in ("ice", "cbp", "dhs")}
    article = Article.objects.get(slug=WYDEN)
    rels = {
        name: Relationship.objects.create(
            subject=ends[s], kind=k, object=ends[o], amount=amt, period=per, article=article,
            quote=q,
        )
        for name, s, k, o, amt, per, q in CLAIMS
    }  # fmt: skip
    return a, b, rels


def claims_of(entity) -> set[tuple]:
    return {
        (r.subject.slug, r.kind, r.object.slug, r.amount, r.period, r.quote)
        for r in Relationship.objects.filter(subject=entity).select_related("subject", "object")
    }


def test_the_preview_says_what_becomes_of_each_claim(pair):
    a, b, rels = pair
    found = {ev.item.pk: ev.outcome for ev in evidence(a, [b])}
    assert found == {rels[name].pk: outcome for name, outcome in OUTCOMES.items()}


def test_a_reworded_claim_is_not_dropped_without_confirmation(pair):
    a, b, _ = pair
    before = Relationship.objects.count()
    with pytest.raises(curation.CurationError, match="in other words"):
        curation.merge_entities(a, [b])
    assert Entity.objects.filter(pk=b.pk).exists()
    assert Relationship.objects.count() == before


def test_a_confirmed_merge_keeps_every_claim_but_the_same_ones(pair):
    a, b, _ = pair
    result = curation.merge_entities(a, [b], drop_reworded=True)
    assert claims_of(a) == {
        ("a", "sells_to", "ice", "", "", Q1),
        ("a", "sells_to", "cbp", "", "2019", Q1),
        ("a", "sells_to", "cbp", "", "2020", Q1),  # kept: another period is another claim
        ("a", "funds", "ice", "$5", "", Q2),  # the kept entity's wording
        ("a", "supplies", "dhs", "", "", Q1),
    }
    assert result.stats["relationships_moved"] == 2
    assert result.stats["relationships_identical"] == 1
    assert result.stats["relationships_reworded"] == 1
    assert "1 relationship dropped as another wording of a claim kept (confirmed)" in result.message


def test_the_admin_preview_lists_the_claims_and_asks_before_dropping(pair, admin_client):
    a, b, _ = pair
    changelist = reverse("admin:archive_contractor_changelist")
    form = {"action": "merge_selected", "_selected_action": [a.pk, b.pk]}
    page = admin_client.post(changelist, form).content.decode()
    assert page.count('class="outcome-reworded"') == 2  # in the preview for either target
    assert 'name="drop_reworded"' in page
    # Merging without the box ticked changes nothing and says why.
    response = admin_client.post(changelist, form | {"post": "yes", "target": a.pk}, follow=True)
    assert "in other words" in response.content.decode()
    assert Entity.objects.filter(pk=b.pk).exists()
    response = admin_client.post(
        changelist, form | {"post": "yes", "target": a.pk, "drop_reworded": "yes"}, follow=True
    )
    assert not Entity.objects.filter(pk=b.pk).exists()
    assert len(claims_of(a)) == 5
