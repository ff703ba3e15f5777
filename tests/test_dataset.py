"""The whole archive as one file and back (manage.py export_archive / import_archive):
every editor's decision survives the trip, the copy loads only into an empty database, and
bad input is refused with its file and line, writing nothing."""

import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from archive import curation
from archive.ingest import dataset
from archive.models import (
    Alias,
    Article,
    Candidate,
    Entity,
    EntityRedirect,
    Mention,
    ProgramStatus,
    Relationship,
    Suppression,
)
from archive.search import search

from .spec import ALL, ARTICLE_BY_SLUG, ARTICLES, DEPORTED, ENTITIES, NARA_CBP, UTILITY, WYDEN


def export() -> str:
    out = io.StringIO()
    dataset.write(out)
    return out.getvalue()


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def flush() -> None:
    """Empty the archive, as `manage.py flush` does. (Its TRUNCATE is refused by PostgreSQL
    inside a test's transaction once rows were written in it: deferred constraint checks.)"""
    for model in apps.get_app_config("archive").get_models():
        model.objects.all().delete()


def import_text(tmp_path, text: str, name: str = "archive.jsonl"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("import_archive", str(path), stdout=out)
    return out.getvalue()


def editors_work() -> None:
    """One of each kind of editor's decision, through the curation service."""
    ice, wickr = Entity.objects.get(slug="ice"), Entity.objects.get(slug="wickr")
    curation.save_alias(
        Alias(entity=ice, name="La Migra", origin=Alias.Origin.EDITOR), ["name"], None, created=True
    )
    confirmed = Mention.objects.get(article__slug=UTILITY, entity__slug="clear")
    curation.set_mention_state([confirmed], Mention.State.CONFIRMED, None)
    rejected = Mention.objects.get(article__slug=DEPORTED, entity__slug="ice")
    curation.set_mention_state([rejected], Mention.State.REJECTED, None)
    added = Mention(
        article=Article.objects.get(slug=WYDEN), entity=wickr, origin=Mention.Origin.EDITOR
    )
    curation.save_mention(added, ["entity"], None, created=True)
    pending = list(Candidate.objects.filter(state=Candidate.State.PENDING).order_by("name")[:2])
    curation.reject_candidates(pending[:1], None)
    curation.approve_candidates(pending[1:], "contractor", None)
    article = Article.objects.get(slug=NARA_CBP)
    quote = article.paragraphs[0].split(". ")[0] + "."
    Relationship.objects.create(
        subject=Entity.objects.get(slug="cbp"),
        kind=Relationship.Kind.USES,
        object=wickr,
        article=article,
        quote=quote,
        collective=True,
        context=Relationship.Context.PARAGRAPH,
        edited_fields=["quote"],
    )
    curation.delete_items([Alias.objects.filter(origin=Alias.Origin.CATALOGUE).first()], None)
    article.title, article.edited_fields = "An editor's title", ["title"]
    article.save()
    # What the queued relink job does (the admin starts it outside the request).
    curation.relink_everything()


# -- the round trip --------------------------------------------------------------------------
def test_export_flush_import_export_gives_the_same_file(seeded, tmp_path):
    editors_work()
    first = export()
    flush()
    assert not Article.objects.exists()
    import_text(tmp_path, first)
    assert export() == first
    # Search answers from the rebuilt index, with the editors' work: their mention (Wickr
    # in the Wyden article), their alias (ICE's), their title.
    assert {h.article.slug for h in search("Wickr").hits} == {NARA_CBP, WYDEN}
    assert UTILITY in {h.article.slug for h in search("La Migra", page_size=20).hits}
    assert {h.article.slug for h in search("editor's title").hits} == {NARA_CBP}
    assert {h.article.slug for h in search("", page_size=20).hits} == ALL


def test_after_a_round_trip_the_seed_import_changes_nothing(seeded, tmp_path):
    """Identity and provenance travel with the copy: re-importing the seeds finds every
    article as it left it."""
    text = export()
    flush()
    import_text(tmp_path, text)
    out = io.StringIO()
    call_command("import_seeds", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["articles_created"] == 0
    assert summary["mentions_created"] == summary["mentions_removed"] == 0


# -- what the file holds ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "kind, count",
    [
        ("entity", lambda: Entity.objects.count()),
        ("alias", lambda: Alias.objects.count()),
        ("article", lambda: len(ARTICLES)),
        ("program_status", lambda: ProgramStatus.objects.count()),
        ("relationship", lambda: Relationship.objects.count()),
        ("candidate", lambda: Candidate.objects.count()),
        ("suppression", lambda: Suppression.objects.count()),
        ("redirect", lambda: EntityRedirect.objects.count()),
    ],
)
def test_every_row_is_one_record(seeded, kind, count):
    found = [r for r in records(export()) if r["type"] == kind]
    assert len(found) == count()


def test_the_file_opens_with_its_format_and_ends_with_its_counts(seeded):
    rows = records(export())
    assert rows[0] == {"type": "header", "format": "surveillance-archive", "version": 1}
    assert rows[-1]["type"] == "end"
    kinds = [r["type"] for r in rows[1:-1]]
    assert rows[-1]["records"] == {k: kinds.count(k) for k in dict.fromkeys(kinds)}
    # Nothing refers ahead: entities, then aliases, then articles, then what cites them.
    order = list(dict.fromkeys(kinds))
    assert order[:3] == ["entity", "alias", "article"]


@pytest.mark.parametrize("slug", [WYDEN, UTILITY, NARA_CBP])
def test_an_article_record_keeps_its_facts_and_identity(seeded, slug):
    """The manifest's facts (fixtures/articles.json), a blank date as null, never invented."""
    (record,) = [r for r in records(export()) if r["type"] == "article" and r["slug"] == slug]
    stored = Article.objects.get(slug=slug)
    facts = ARTICLE_BY_SLUG[slug]
    for key in ("title", "source_url", "dept"):
        assert record[key] == facts.get(key, "")
    assert record["published"] == (facts["published"] or None)
    assert record["source_key"] == stored.source_key and record["body"] == stored.body
    assert {m["entity"] for m in record["mentions"]} == set(
        stored.mentions.values_list("entity__slug", flat=True)
    )
    assert "entity_text" not in record and "linked_with" not in record  # rebuilt


def test_every_kind_of_entity_is_written_with_its_own_fields(seeded):
    rows = {r["slug"]: r for r in records(export()) if r["type"] == "entity"}
    assert set(rows) >= {e["slug"] for e in ENTITIES}
    assert rows["hsi"]["parent"] == "ice"
    assert rows["cbp"]["parent_source"]["url"].startswith("https://www.dhs.gov/")
    assert rows["hsi"]["parent_source"]["paragraph"] >= 1  # where the quote was found
    assert rows["dhs"]["parent"] is None and rows["dhs"]["parent_source"] == {}
    assert rows["clear"]["status"] == "active"
    assert "parent" not in rows["thomson-reuters"] and "status" not in rows["ice"]


# -- refusals --------------------------------------------------------------------------------
def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _edit(kind: str, change):
    """A copy whose first record of `kind` is changed by change(record)."""

    def apply(lines):
        for i, line in enumerate(lines):
            record = json.loads(line)
            if record["type"] == kind:
                change(record)
                lines[i] = json.dumps(record, ensure_ascii=False) + "\n"
                return i + 1
        raise AssertionError(kind)

    return apply


def _replace_line(n: int, text: str):
    def apply(lines):
        lines[n - 1] = text
        return n

    return apply


def _cut_end(lines):
    lines.pop()
    return len(lines)


def _wrong_version(lines):
    lines[0] = json.dumps({"type": "header", "format": "surveillance-archive", "version": 9}) + "\n"
    return 1


def _twice(kind: str):
    def apply(lines):
        i = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == kind)
        lines.insert(i + 1, lines[i])
        last = json.loads(lines[-1])
        last["records"][kind] += 1
        lines[-1] = json.dumps(last) + "\n"
        return i + 2

    return apply


BAD = [
    ("not json", _replace_line(2, "{not json\n"), "not JSON"),
    ("not a record", _replace_line(2, "[1, 2]\n"), 'not a record (an object with a "type")'),
    ("wrong version", _wrong_version, "format version 9; this archive reads version 1"),
    ("cut off", _cut_end, "no end record: the file is incomplete"),
    ("unknown type", _edit("alias", lambda r: r.update(type="nickname")), "unknown record type"),
    ("unknown field", _edit("alias", lambda r: r.update(colour="red")), "unknown field(s) colour"),
    (
        "unknown entity",
        _edit("alias", lambda r: r.update(entity="no-such-entity")),
        "no entity 'no-such-entity' before this line",
    ),
    (
        "unknown article",
        _edit("relationship", lambda r: r.update(article="no-such-article")),
        "no article 'no-such-article' before this line",
    ),
    ("title too long", _edit("article", lambda r: r.update(title="x" * 401)), "title:"),
    ("no title", _edit("article", lambda r: r.update(title="")), "title:"),
    ("not a date", _edit("article", lambda r: r.update(published="2021-13-01")), "published:"),
    (
        "bad state",
        _edit("article", lambda r: r["mentions"][0].update(state="maybe")),
        "mention of",
    ),
    (
        "bad spans",
        _edit("article", lambda r: r["mentions"][0].update(spans="0-3")),
        "spans must be [[start, end], …]",
    ),
    ("bad kind", _edit("entity", lambda r: r.update(kind="person")), "entity: kind must be"),
    ("entity twice", _twice("entity"), "is defined twice"),
    ("article twice", _twice("article"), "is defined twice"),
    ("alias twice", _twice("alias"), "the database refused it"),
]


@pytest.mark.parametrize("damage, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_its_line_and_nothing_is_written(
    seeded, tmp_path, damage, message
):
    lines = _lines(export())
    line = damage(lines)
    flush()
    with pytest.raises(CommandError) as refused:
        import_text(tmp_path, "".join(lines))
    assert str(refused.value).startswith(f"{tmp_path / 'archive.jsonl'}:{line}: ")
    assert message in str(refused.value)
    assert dataset.is_empty()


def test_a_database_that_is_not_empty_is_refused(seeded, tmp_path):
    with pytest.raises(CommandError, match="the database is not empty"):
        import_text(tmp_path, export())
    assert Article.objects.count() == len(ARTICLES)


def test_a_file_that_is_not_an_archive_is_refused(seeded, tmp_path):
    flush()
    with pytest.raises(CommandError, match=r"archive.jsonl:1: not an archive file"):
        import_text(tmp_path, '{"type": "article"}\n')
    with pytest.raises(CommandError, match=r"empty.jsonl:1: empty file"):
        import_text(tmp_path, "", name="empty.jsonl")


# -- the commands ----------------------------------------------------------------------------
def test_export_archive_writes_a_file_or_stdout(seeded, tmp_path, capsys):
    target = tmp_path / "copy.jsonl"
    out = io.StringIO()
    call_command("export_archive", str(target), stdout=out)
    assert f"{len(ARTICLES)} article" in out.getvalue()
    assert target.read_text(encoding="utf-8") == export()
    assert not (tmp_path / "copy.jsonl.partial").exists()
    call_command("export_archive", "-")
    assert capsys.readouterr().out == export()


def test_the_commands_say_what_they_leave_out():
    from archive.management.commands import export_archive, import_archive

    assert "search index" in export_archive.Command.help
    assert "EMPTY database" in import_archive.Command.help
