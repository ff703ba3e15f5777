"""The admin reads like the articles it curates: a mention is shown in the words around it,
and an action's message counts what it did."""

import re
from collections import Counter

import pytest
from django.urls import reverse

from archive import curation
from archive.curation import relink
from archive.curation.merge import MergeResult
from archive.models import Article, Candidate, Entity, Mention

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
        (0, "Created 2 contractors: Acme Ledger, Blue Harbor Data."),
        (1, "Created 1 contractor: Blue Harbor Data. Skipped 1 candidate already approved."),
        (2, "Skipped 2 candidates already approved."),
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


# What an action says, in plain words: a count agrees with its noun ("1 mention", never
# "1 mention(s)" or "1 mentions"), and a merge lists only what it did.
@pytest.mark.parametrize(
    "said, expected",
    [
        (lambda: relink.describe(Counter(articles=1, mentions_created=1)),
         "Relinked 1 article: 1 mention created, 0 updated, 0 removed, 0 set by editors left "
         "alone."),
        (lambda: relink.describe(Counter(articles=10, mentions_created=0)),
         "Relinked 10 articles: 0 mentions created, 0 updated, 0 removed, 0 set by editors "
         "left alone."),
        (lambda: MergeResult(target=Entity(name="Thomson Reuters"), merged=["Reuters Corp"],
                             stats=Counter(mentions_moved=1, aliases_added=2, redirects=1)
                             ).describe(),
         "Merged Reuters Corp into Thomson Reuters: 1 mention moved; 2 aliases added; "
         "1 redirect from the old addresses."),
        (lambda: MergeResult(target=Entity(name="ICE"), merged=["ICE2"]).describe(),
         "Merged ICE2 into ICE: nothing else to move."),
        (lambda: curation.release_fields([], None).message,
         "Handed the edited fields of 0 rows back to the import: none had any."),
        (lambda: curation.approve_candidates([], "agency").message, "No candidate selected."),
    ],
)  # fmt: skip
def test_messages_count_in_plain_words(seeded, said, expected):
    assert said() == expected


def test_approving_twice_in_the_admin_says_it_skipped(seeded, admin_client):
    """The message an editor reads after the action, on the list's own page."""
    article = Article.objects.get(slug=UTILITY)
    candidate = Candidate.objects.create(
        name="Acme Ledger", key="acme ledger", reason=Candidate.Reason.COMPANY,
        article=article, passage="Acme Ledger",
    )  # fmt: skip
    changelist = reverse("admin:archive_candidate_changelist") + "?state=all"
    said = []
    for _ in range(2):
        page = admin_client.post(
            changelist,
            {"action": "approve_as_contractor", "_selected_action": [candidate.pk]},
            follow=True,
        )
        said.append([str(m) for m in page.context["messages"]])
    assert said[0][0].startswith("Created 1 contractor: Acme Ledger.")
    assert said[1] == ["Skipped 1 candidate already approved."]
    for message in said[0] + said[1]:
        assert "(s)" not in message and not re.search(r"-\d", message), message
