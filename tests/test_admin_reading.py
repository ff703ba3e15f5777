"""The admin reads like the articles it curates: a mention is shown in the words around it,
and an action's message counts what it did."""

import pytest
from django.urls import reverse

from archive import curation
from archive.models import Article, Candidate, Mention

from .spec import UTILITY


def test_a_mention_is_shown_in_the_words_around_it(seeded, admin_client):
    mention = Mention.objects.filter(article__slug=UTILITY, entity__slug="ice").get()
    body = mention.article.body
    page = admin_client.get(reverse("admin:archive_mention_change", args=[mention.pk]))
    html = page.content.decode()
    start, end = mention.spans[0]
    assert f"<strong>{body[start:end]}</strong>" in html
    after = body[end:].split()[0]
    assert after.split("’")[0] in html  # the word that follows it
    assert f"[{start}–{end}]" not in html  # no character offsets


@pytest.mark.parametrize(
    "already, message",
    [
        (0, "Created 2 contractor(s): Acme Ledger, Blue Harbor Data."),
        (1, "Created 1 contractor(s): Blue Harbor Data. 1 already approved, skipped."),
    ],
)
def test_approving_says_how_many_it_created_and_skipped(seeded, already, message):
    article = Article.objects.get(slug=UTILITY)
    rows = [
        Candidate.objects.create(
            name=name, key=name.lower(), reason=Candidate.Reason.COMPANY, article=article,
            passage=name,
        )
        for name in ("Acme Ledger", "Blue Harbor Data")
    ]  # fmt: skip
    for c in rows[:already]:
        c.state = Candidate.State.APPROVED
        c.save()
    result = curation.approve_candidates(
        Candidate.objects.filter(pk__in=[c.pk for c in rows]), "contractor"
    )
    assert result.message == message
