"""Issue 9, imports at bulk speed, the second half: what makes them fast must keep every
guarantee. Speed itself is measured by `manage.py bench_import` (docs/benchmarks.md),
never asserted here.

1. A file as last imported is not parsed (ImportedFile); anything that could make one of its
   articles need work (a byte, a limit, the catalogue, an editor's change) has it read.
2. SQLite: new articles' full-text entries are written in one statement per index, and the
   index is exactly what the triggers would have written; the triggers are back afterwards.
3. A staged run (new articles in batches of short transactions) that fails anywhere, or is
   killed, leaves nothing: it undoes itself, or the next import undoes it.
4. SQLite: between two batches of a staged run no write lock is held, so an editor's save
   goes through (a second connection that will not wait at all): deterministic, no timing.
"""

import json
import subprocess
import sys
import textwrap
from contextlib import closing

import pytest
from django.db import connection

from archive.ingest import catalogue, importer
from archive.models import Article, Candidate, ImportedFile, ImportRun, Mention, Suppression

from .faults_support import finish, seeded_database
from .test_import_bulk import article, mentions, stored, write

sqlite_only = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="SQLite's write lock and FTS5 triggers"
)


def fts_ok() -> None:
    """SQLite: both full-text indexes match the article table exactly (FTS5's own check
    of an external-content index against its content)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in ("archive_article_fts", "archive_article_words"):
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


def triggers() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        return cursor.fetchall()


@pytest.fixture
def parsed(monkeypatch):
    """The names of the files the importer parses."""
    seen, read_path = [], importer.read_path

    def spy(path, *args, **kwargs):
        seen.append(path.name)
        return read_path(path, *args, **kwargs)

    monkeypatch.setattr(importer, "read_path", spy)
    return seen


# =============================================================================================
# 1. An unchanged file is not parsed; anything that could matter has it read
# =============================================================================================
def _edit_title(held: bool):
    a = Article.objects.get(seed_file="bulk.md", source_url="https://example.org/bulk/2")
    a.title = "An editor's title"
    a.edited_fields = ["title"] if held else []
    a.save()


def _delete(suppressed: bool):
    a = Article.objects.get(seed_file="bulk.md", source_url="https://example.org/bulk/2")
    if suppressed:
        Suppression.objects.create(what=Suppression.What.ARTICLE, key=a.source_key)
    a.delete()


def _rename_entity(workdir):
    path = workdir / "fixtures" / "catalogue.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"Thomson Reuters"', '"Thomson Reuters Corp"', 1), "utf-8")


CHANGES = {
    "nothing": (lambda w, s: None, False),
    "one byte of the file": (
        lambda w, s: (w / "seeds" / "bulk.md").write_text(
            (w / "seeds" / "bulk.md").read_text() + "\nOne more line.\n"
        ),
        True,
    ),
    "the body limit": (lambda w, s: setattr(s, "MAX_BODY_CHARS", 150_000), True),
    "an editor holds a field": (lambda w, s: _edit_title(held=True), False),
    "an editor hands a field back": (lambda w, s: _edit_title(held=False), True),
    "an editor deletes an article": (lambda w, s: _delete(suppressed=True), False),
    "an article gone, not by an editor": (lambda w, s: _delete(suppressed=False), True),
    "a catalogue name": (lambda w, s: _rename_entity(w), True),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_file_is_parsed_only_when_something_could_matter(
    seeded, workdir, settings, parsed, change
):
    path = write(workdir, "bulk.md", 6)
    importer.run([path])
    assert ImportedFile.objects.filter(path__endswith="/bulk.md").count() == 1
    parsed.clear()
    again = importer.run([path])
    assert parsed == [] and again.changed is False
    assert again.stats["articles_unchanged"] == 6
    do, expect_parsed = CHANGES[change]
    do(workdir, settings)
    parsed.clear()
    summary = importer.run([path])
    assert (parsed == ["bulk.md"]) is expect_parsed, parsed
    title = Article.objects.filter(source_url="https://example.org/bulk/2").values_list(
        "title", flat=True
    )
    if change == "an editor holds a field":
        assert summary.stats["article_fields_left_alone"] == 1
        assert list(title) == ["An editor's title"]
    if change == "an editor hands a field back":
        assert list(title) == ["Generated report number 2"]
    if change == "an editor deletes an article":
        assert summary.stats["articles_left_alone"] == 1 and not title.exists()
    if change == "an article gone, not by an editor":
        assert summary.stats["articles_created"] == 1 and title.exists()
    # Whatever happened, one more run finds nothing to do, and does not parse.
    parsed.clear()
    last = importer.run([path])
    assert (last.changed, parsed) == (False, [])
    fts_ok()


def test_a_skipped_file_still_takes_part_in_the_checks(seeded, workdir, parsed):
    """The same article in a skipped file and a file read now is one line, as before."""
    first = write(workdir, "a.md", 3)
    importer.run([first])
    second = workdir / "seeds" / "b.md"
    second.write_text((workdir / "seeds" / "a.md").read_text(), encoding="utf-8")
    parsed.clear()
    with pytest.raises(importer.IngestError, match=r"b\.md:1: the same article .* as a\.md:1"):
        importer.run([first, str(second)])
    assert parsed == ["b.md"]


def test_a_dry_run_records_no_file(seeded, workdir):
    path = write(workdir, "bulk.md", 3)
    importer.run([path], dry_run=True)
    assert not ImportedFile.objects.filter(path__endswith="/bulk.md").exists()


# =============================================================================================
# 2. SQLite: the index of new articles written in bulk is the index the triggers write
# =============================================================================================
@sqlite_only
@pytest.mark.parametrize("staged", [False, True])
def test_new_articles_are_indexed_as_the_triggers_would(seeded, workdir, monkeypatch, staged):
    monkeypatch.setattr(importer, "WRITE_BATCH", 4)
    before = triggers()
    path = write(workdir, "bulk.md", 10)
    summary = importer.run([path], staged=staged)
    assert summary.stats["articles_created"] == 10
    assert triggers() == before
    fts_ok()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM archive_article_fts WHERE archive_article_fts MATCH 'Tracking7'"
        )
        assert cursor.fetchone()[0] == 1
    # Editing one of them afterwards goes through the triggers, and the index stays exact.
    a = Article.objects.get(source_url="https://example.org/bulk/3")
    a.title = "Renamed"
    a.save()
    fts_ok()


# =============================================================================================
# 3. A staged run that fails leaves nothing; one that is killed is undone by the next import
# =============================================================================================
class Boom(Exception):
    pass


def _fail_at_store(n):
    def patch(monkeypatch):
        calls, store = [], importer.store_article

        def failing(*args, **kwargs):
            calls.append(1)
            if len(calls) == n:
                raise Boom
            return store(*args, **kwargs)

        monkeypatch.setattr(importer, "store_article", failing)

    return patch


def _fail_in(module, name, exc=Boom):
    def patch(monkeypatch):
        def failing(*args, **kwargs):
            raise exc

        monkeypatch.setattr(module, name, failing)

    return patch


FAILURES = {
    "first batch": (_fail_at_store(2), Boom),
    "second batch": (_fail_at_store(6), Boom),
    "last batch": (_fail_at_store(10), Boom),
    "last transaction": (_fail_in(catalogue, "sync_relationships"), Boom),
    "interrupted (Ctrl-C) while finding candidates": (
        _fail_in(importer, "find_candidates", KeyboardInterrupt),
        KeyboardInterrupt,
    ),
    "recording the files": (_fail_in(importer, "record_files"), Boom),
}


def snapshot() -> tuple:
    return (
        sorted(Article.objects.values_list("id", "slug", "title", "entity_text")),
        sorted(Mention.objects.values_list("id", "article_id", "entity_id", "state")),
        sorted(Candidate.objects.values_list("id", "key")),
        sorted(ImportedFile.objects.values_list("path", "fingerprint")),
    )


@pytest.mark.parametrize("where", FAILURES)
def test_a_staged_run_that_fails_anywhere_leaves_nothing(seeded, workdir, monkeypatch, where):
    monkeypatch.setattr(importer, "WRITE_BATCH", 4)
    path = write(workdir, "bulk.md", 10)
    before = snapshot()
    patch, exc = FAILURES[where]
    with monkeypatch.context() as m:
        patch(m)
        with pytest.raises(exc):
            importer.run([path], staged=True)
    assert snapshot() == before
    run = ImportRun.objects.get()
    assert (run.state, run.article_ids) == (ImportRun.State.UNDONE, [])
    fts_ok()
    # Then the same import, whole: every article, once.
    summary = importer.run([path], staged=True)
    assert summary.stats["articles_created"] == 10
    assert Article.objects.filter(seed_file="bulk.md").count() == 10
    assert ImportRun.objects.filter(state=ImportRun.State.DONE).count() == 1
    fts_ok()


def test_a_killed_staged_run_is_undone_by_the_next_import(seeded, workdir, monkeypatch):
    """A process killed between batches cannot undo itself: its run row still says
    "writing", with the ids of what it wrote; the next import (not a dry run) undoes it
    first, then imports."""
    monkeypatch.setattr(importer, "WRITE_BATCH", 4)
    path = write(workdir, "bulk.md", 10)
    articles = Article.objects.count()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with monkeypatch.context() as m:
        # "Killed" in the last transaction: no undo runs, and its process is gone.
        _fail_in(catalogue, "sync_relationships", SystemExit)(m)
        m.setattr(importer, "undo", lambda *a, **k: 0)
        m.setattr(importer.os, "getpid", lambda: dead.pid)
        with pytest.raises(SystemExit):
            importer.run([path], staged=True)
    killed = ImportRun.objects.get()
    assert killed.state == ImportRun.State.WRITING and len(killed.article_ids) == 10
    assert Article.objects.count() == articles + 10  # visible, until the next import
    importer.run([path], dry_run=True)  # a dry run changes nothing, this neither
    assert ImportRun.objects.get(pk=killed.pk).state == ImportRun.State.WRITING
    ids = killed.article_ids
    summary = importer.run([path])
    killed.refresh_from_db()
    assert (killed.state, killed.article_ids) == (ImportRun.State.UNDONE, [])
    assert not Article.objects.filter(pk__in=ids).exists()
    assert summary.stats["articles_created"] == 10
    assert Article.objects.count() == articles + 10
    assert (stored("bulk.md"), mentions("bulk.md")) == (stored("bulk.md"), mentions("bulk.md"))
    fts_ok()


def test_a_run_of_a_live_process_is_left_to_it(seeded, workdir, monkeypatch):
    """Another import at work (its process alive, on this machine) is not undone."""
    other = ImportRun.objects.create(pid=1, host=importer._host(), article_ids=[])
    assert importer.recover() == []
    other.refresh_from_db()
    assert other.state == ImportRun.State.WRITING


# =============================================================================================
# 4. SQLite: an editor's save between two batches of a staged run goes through at once
# =============================================================================================
STAGED_IMPORT = textwrap.dedent(
    """
    import json, sqlite3, sys

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from archive.ingest import importer

    importer.WRITE_BATCH = 3
    path = connection.settings_dict["NAME"]
    saves = []


    def save(when):
        # An editor's save that will not wait at all for the write lock.
        editor = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            editor.execute("BEGIN IMMEDIATE")
            editor.execute("UPDATE archive_entity SET description = description || ''")
            editor.execute("COMMIT")
            saves.append([when, "saved"])
        except sqlite3.OperationalError as exc:
            saves.append([when, str(exc)])
        finally:
            editor.close()


    write_new, store_article = importer.write_new, importer.store_article


    def spy_write_new(*args, **kwargs):
        out = write_new(*args, **kwargs)
        save("between batches")
        return out


    def spy_store(*args, **kwargs):
        if len(saves) == 1:
            save("inside a batch")
        return store_article(*args, **kwargs)


    importer.write_new, importer.store_article = spy_write_new, spy_store
    call_command("import_seeds", sys.argv[1])
    print(json.dumps(saves))
    """
)


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's write lock")
def test_an_editors_save_between_two_batches_goes_through():
    with seeded_database("sqlite") as db:
        seeds = db.folder / "staged-seeds"
        seeds.mkdir()
        (seeds / "bulk.md").write_text("\n".join(article(i) for i in range(10)), "utf-8")
        articles = db.count("archive_article")
        child = db.python(STAGED_IMPORT, str(seeds))
        out, err = finish(child, timeout=120)
        assert child.returncode == 0, err
        saves = json.loads(out.strip().splitlines()[-1])
        # Between batches the lock is free: every save went through at once. Inside a
        # batch it is held (the probe is real): the save is refused rather than waiting.
        assert [w for w, r in saves if r == "saved"] == ["between batches"] * 4, saves
        assert saves[1] == ["inside a batch", "database is locked"], saves
        assert db.count("archive_article") == articles + 10
        with closing(db.connect()) as conn:
            state = conn.execute("SELECT state FROM archive_importrun").fetchall()
        assert state == [("done",)]


@pytest.mark.parametrize("batch", [500, 1], ids=["per-batch queries", "one query"])
def test_mentions_an_editor_set_are_counted_either_way(seeded, workdir, monkeypatch, batch):
    path = write(workdir, "bulk.md", 6)
    importer.run([path])
    m = Mention.objects.filter(article__seed_file="bulk.md").order_by("pk").first()
    m.state = Mention.State.CONFIRMED
    m.save()
    monkeypatch.setattr(importer, "BATCH", batch)
    summary = importer.run([path])
    assert summary.changed is False
    assert summary.stats["mentions_left_alone"] == 1


# =============================================================================================
# The analysing processes work on while the first batches are written: the same result as
# one process, and a failure in one of them still leaves nothing.
# =============================================================================================
def _linked_now() -> tuple:
    return (
        sorted(
            Mention.objects.filter(article__seed_file="bulk.md").values_list(
                "article__source_url", "entity__slug", "count", "spans"
            )
        ),
        sorted(Candidate.objects.filter(key__startswith="acme").values_list("key", flat=True)),
    )


@pytest.mark.parametrize("staged", [False, True])
def test_analysing_in_processes_while_writing_gives_what_one_process_gives(
    seeded, workdir, monkeypatch, staged
):
    monkeypatch.setattr(importer, "WRITE_BATCH", 4)
    path = write(workdir, "bulk.md", 12)
    with monkeypatch.context() as m:
        m.setattr(importer, "PARALLEL_MIN", 1)
        summary = importer.run([path], staged=staged, workers=2)
    assert summary.stats["articles_created"] == 12
    parallel = _linked_now()
    Article.objects.filter(seed_file="bulk.md").delete()
    Candidate.objects.filter(key__startswith="acme").delete()
    importer.run([path], staged=staged, workers=1)
    assert _linked_now() == parallel


def test_a_failing_analysing_process_leaves_nothing(seeded, workdir, monkeypatch):
    from archive.ingest import discovery

    monkeypatch.setattr(importer, "WRITE_BATCH", 4)
    monkeypatch.setattr(importer, "PARALLEL_MIN", 1)
    path = write(workdir, "bulk.md", 12)
    before = snapshot()
    calls = {"n": 0}
    real = discovery.find

    def fails_late(body, *args, **kwargs):  # in the forked workers: after a few bodies
        calls["n"] += 1
        if "bulk/10" in body or calls["n"] > 8:
            raise RuntimeError("a worker failed")
        return real(body, *args, **kwargs)

    monkeypatch.setattr(discovery, "find", fails_late)
    with pytest.raises(RuntimeError, match="a worker failed"):
        importer.run([path], staged=True, workers=2)
    assert snapshot() == before
    fts_ok()
