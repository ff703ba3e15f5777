"""Issue 9, "imports at bulk speed" (and the import half of "no single article can hurt
anyone else"), as a specification. Run on both engines. Speed itself is measured by
`manage.py bench_import` (docs/benchmarks.md), never asserted here: these rows say what
must stay true while the import is fast.

1. A (re)import of N articles is idempotent; an unchanged re-import writes no row, and
   its number of queries does not grow with N.
2. A changed article is relinked; a changed catalogue relinks unchanged articles.
3. Editors' work is kept by the skip (fields, a field handed back, mention states).
4. A body over MAX_BODY_CHARS is refused, naming its file and line; nothing is written.
5. The fast linker and candidate discovery find exactly what the plain ones find.
6. The linking is done before the import's transaction opens (SQLite's write lock).
"""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from archive.ingest import discovery, importer, linking
from archive.models import Article, Candidate, Mention
from archive.names.linker import build_linker

from .spec import ROOT, SEED_NAME

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)

# Sentences naming catalogue entities (and one company the catalogue lacks), so each
# generated article is linked and searched for candidates for real.
SENTENCES = (
    "Immigration and Customs Enforcement (ICE) bought access to the database.",
    "U.S. Customs and Border Protection said nothing about the contract.",
    "Records show Thomson Reuters sold CLEAR to the agency for years.",
    "Agents from Homeland Security Investigations used the tool daily.",
    "The files were kept in the clear, on thin ice, critics said.",
)


def article(i: int, extra: str = "") -> str:
    body = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(3))
    return (
        f"---\ntitle: Generated report number {i}\npublished: 2023-01-{1 + i % 28:02d}\n"
        f"source_url: https://example.org/bulk/{i}\n---\n\n{body}{extra}\n\n"
        f"A second paragraph about Acme Tracking{i}, Inc. and ICE.\n"
    )


def write(workdir: Path, name: str, n: int, changed: dict[int, str] | None = None) -> str:
    changed = changed or {}
    path = workdir / "seeds" / name
    path.write_text("\n".join(article(i, changed.get(i, "")) for i in range(n)), encoding="utf-8")
    return str(path)


def stored(seed_file: str) -> list[tuple]:
    return sorted(
        Article.objects.filter(seed_file=seed_file).values_list(
            "slug", "title", "body", "entity_text", "import_hash", "linked_with", "updated"
        )
    )


def mentions(seed_file: str) -> list[tuple]:
    return sorted(
        Mention.objects.filter(article__seed_file=seed_file).values_list(
            "article__slug", "entity__slug", "count", "spans", "state"
        )
    )


# =============================================================================================
# 1. Idempotent; an unchanged re-import writes nothing, in a number of queries independent of N
# =============================================================================================
@pytest.mark.parametrize("n", [1, 12, 60])
def test_a_reimport_of_n_articles_changes_nothing(seeded, workdir, n):
    path = write(workdir, "bulk.md", n)
    first = importer.run([path])
    assert (first.stats["articles_created"], first.changed) == (n, True)
    assert first.stats["mentions_created"] >= 3 * n
    before = (stored("bulk.md"), mentions("bulk.md"), Candidate.objects.count())
    again = importer.run([path])
    assert again.changed is False
    assert again.stats["articles_unchanged"] == n
    assert again.stats["articles_created"] == again.stats["articles_updated"] == 0
    assert again.new_candidates == []
    assert (stored("bulk.md"), mentions("bulk.md"), Candidate.objects.count()) == before


def reimport_queries(path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        summary = importer.run([path])
    assert summary.changed is False
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("small, large", [(3, 60)])
def test_an_unchanged_reimport_writes_no_row_and_its_queries_do_not_grow(
    seeded, workdir, small, large
):
    counts = {}
    for n in (small, large):
        path = write(workdir, f"bulk-{n}.md", n)
        importer.run([path])
        sql = reimport_queries(path)
        assert [q for q in sql if WRITES.match(q)] == [], n
        counts[n] = len(sql)
    assert counts[small] == counts[large], counts


# =============================================================================================
# 2. What is relinked: a changed article; every article when the catalogue's names change
# =============================================================================================
def test_a_changed_article_is_relinked_and_only_it(seeded, workdir):
    path = write(workdir, "bulk.md", 6)
    importer.run([path])
    others = [row for row in stored("bulk.md") if row[0] != "generated-report-number-2"]
    path = write(workdir, "bulk.md", 6, changed={2: " Microsoft declined to comment."})
    summary = importer.run([path])
    assert (summary.stats["articles_updated"], summary.stats["articles_unchanged"]) == (1, 5)
    changed = Article.objects.get(slug="generated-report-number-2")
    assert "Microsoft declined to comment." in changed.body
    assert changed.mentions.filter(entity__slug="microsoft").exists()
    assert "Microsoft" in changed.entity_text
    assert [row for row in stored("bulk.md") if row[0] != changed.slug] == others


def test_a_catalogue_change_relinks_unchanged_articles(seeded, workdir):
    path = write(workdir, "bulk.md", 5)
    importer.run([path])
    assert not Mention.objects.filter(article__seed_file="bulk.md", entity__slug="nsa").exists()
    catalogue = workdir / "fixtures" / "catalogue.json"
    data = json.loads(catalogue.read_text(encoding="utf-8"))
    nsa = next(e for e in data["entities"] if e["slug"] == "nsa")
    nsa.setdefault("aliases", []).append("Homeland Security Investigations used")
    catalogue.write_text(json.dumps(data), encoding="utf-8")
    summary = importer.run([path])
    assert summary.stats["articles_unchanged"] == 5  # their text did not change…
    linked = Mention.objects.filter(article__seed_file="bulk.md", entity__slug="nsa")
    assert linked.count() == 3  # …but every one naming the new alias is linked to it
    assert importer.run([path]).changed is False


# =============================================================================================
# 3. Editors' work, through the skip
# =============================================================================================
def test_editors_work_is_kept_and_a_handed_back_field_restored(seeded, workdir):
    path = write(workdir, "bulk.md", 3)
    importer.run([path])
    a = Article.objects.get(slug="generated-report-number-1")
    a.title, a.edited_fields = "An editor's title", ["title"]
    a.save()
    m = a.mentions.get(entity__slug="ice")
    m.state = Mention.State.REJECTED
    m.save()
    summary = importer.run([path])
    assert summary.stats["article_fields_left_alone"] == 1
    assert summary.stats["mentions_left_alone"] == 1
    a.refresh_from_db()
    m.refresh_from_db()
    assert (a.title, m.state) == ("An editor's title", "rejected")
    # Handed back to the import (the list emptied): the next import restores the file's.
    Article.objects.filter(pk=a.pk).update(edited_fields=[])
    summary = importer.run([path])
    a.refresh_from_db()
    assert a.title == "Generated report number 1"
    assert summary.stats["articles_updated"] == 1
    m.refresh_from_db()
    assert m.state == "rejected"


# =============================================================================================
# 4. Bodies over MAX_BODY_CHARS
# =============================================================================================
LIMIT = 1000  # MAX_BODY_CHARS in these rows (the generated good article is shorter)


def long_md(chars: int) -> str:
    """A Markdown file whose one article (front matter on line 2) has a `chars` body."""
    return f"\n---\ntitle: Long\nsource_url: https://example.org/long\n---\n\n{'x' * chars}\n"


# (the body's length; refused?)
# fmt: off
BODY_LIMIT = [
    pytest.param(LIMIT - 1, False, id="under"),
    pytest.param(LIMIT, False, id="at-the-limit"),
    pytest.param(LIMIT + 1, True, id="one-over"),
    pytest.param(10_000_000, True, id="ten-million"),
]
# fmt: on


@pytest.mark.parametrize("chars, refused", BODY_LIMIT)
def test_a_body_over_the_limit_is_refused_naming_file_and_line(
    seeded, workdir, settings, chars, refused
):
    settings.MAX_BODY_CHARS = LIMIT
    good = write(workdir, "good.md", 1)
    path = workdir / "seeds" / "long.md"
    path.write_text(long_md(chars), encoding="utf-8")
    before = Article.objects.count()
    if not refused:
        call_command("import_seeds", good, str(path), stdout=io.StringIO())
        assert Article.objects.count() == before + 2
        return
    with pytest.raises(CommandError) as exc:
        call_command("import_seeds", good, str(path), stdout=io.StringIO())
    message = str(exc.value)
    assert "\n" not in message
    assert "long.md:2:" in message  # the file, and the line its article's front matter opens
    assert f"body is {chars} characters; the limit is {LIMIT} (MAX_BODY_CHARS)" in message
    assert Article.objects.count() == before  # the good file was not written either


def test_a_plain_text_article_over_the_limit_names_its_article(seeded, workdir, settings):
    settings.MAX_BODY_CHARS = 2000
    with pytest.raises(CommandError) as exc:
        call_command("import_seeds", stdout=io.StringIO())
    assert re.search(
        rf"{re.escape(SEED_NAME)}:\d+: article \d+: body is \d+ characters", str(exc.value)
    )


# =============================================================================================
# 5. The fast paths find exactly what the plain ones find
# =============================================================================================
EDGE_TEXTS = [
    "ICE",
    "ICE’s lawyers met CBP's; thin ice, in the clear, on track.",
    "U.S. Immigration and Customs Enforcement (ICE) and US ICE and U.S.  ICE.",
    "Immigration and Customs Enforcement’s (ICE) agents.",
    "HSI [Homeland Security Investigations — part of ICE] and Homeland Security Investigations",
    "Thomson-Reuters, Thomson Reuters and THOMSON REUTERS; Reuters.",
    "Department of Homeland Security\nDHS\n(DHS)\nU.S.\nICE",
    "xICE ICEx _ICE ICE_ 1ICE ICE1 Straße ﬁle ICE",
    "Panamerica Computers, Inc. sold to the CFPB (Consumer Financial Protection Bureau).",
    "The National Archives and Records Administration (NARA) asked; National Security Agency.",
    "",
]


def corpus_texts() -> list[str]:
    from archive.bench.corpus import Corpus

    return [a.body for a in Corpus(seed=3, words=200).articles(40)]


def test_the_fast_linker_finds_what_the_linker_finds(seeded):
    linker = build_linker()
    fast = linking.finder(linker)
    texts = EDGE_TEXTS + list(Article.objects.values_list("body", flat=True)) + corpus_texts()
    for text in texts:
        plain, quick = linker.find(text), fast.find(text)
        assert list(quick) == list(plain), text[:80]
        assert {k: (v.spans, v.count) for k, v in quick.items()} == {
            k: (v.spans, v.count) for k, v in plain.items()
        }, text[:80]


def test_discovery_in_windows_finds_what_a_whole_scan_finds(seeded, monkeypatch):
    texts = EDGE_TEXTS + list(Article.objects.values_list("body", flat=True)) + corpus_texts()
    texts.append("Foo Bar (FB) and Baz Qux, LLC, then Acme Corp. and Widget Corporation (WC).")
    windowed = [discovery.find(t) for t in texts]
    monkeypatch.setattr(discovery, "_matches", lambda p, ends, text, comma=False: p.finditer(text))
    assert [discovery.find(t) for t in texts] == windowed


# =============================================================================================
# 6. The work is done before the write transaction opens
# =============================================================================================
def test_linking_happens_before_the_import_transaction(seeded, workdir, monkeypatch):
    """On SQLite a transaction holds the write lock from its start (IMMEDIATE): the linker
    and the candidate search run outside it, so the lock is held for the writes alone.
    (Editors' saves during an import: tests/test_concurrency.py.)"""
    depth = {"test": len(connection.atomic_blocks)}
    find, store = linking.Finder.find, importer.store_article

    def spy_find(self, text):
        depth.setdefault("linking", len(connection.atomic_blocks))
        return find(self, text)

    def spy_store(*args, **kwargs):
        depth.setdefault("writing", len(connection.atomic_blocks))
        return store(*args, **kwargs)

    monkeypatch.setattr(linking.Finder, "find", spy_find)
    monkeypatch.setattr(importer, "store_article", spy_store)
    importer.run([write(workdir, "bulk.md", 4)])
    assert depth == {"test": depth["test"], "linking": depth["test"], "writing": depth["test"] + 1}


# =============================================================================================
# The benchmark command still runs (its figures: docs/benchmarks.md)
# =============================================================================================
def test_bench_import_runs_on_a_tiny_corpus():
    result = subprocess.run(
        [sys.executable, "manage.py", "bench_import", "--articles", "20", "--json"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    runs = {r["name"]: r for r in report["runs"]}
    assert runs["new"]["articles_created"] == 20
    assert runs["unchanged"]["articles_unchanged"] == 20
    assert runs["changed10%"]["articles_updated"] == 2


# The Finder scans for the words that open a name with a trie-shaped regex; it must find
# exactly what the plain alternation of those words finds, wherever they are.
_WORD = st.text(alphabet="abcé_1", min_size=1, max_size=5)


@given(words=st.sets(_WORD, min_size=1, max_size=12), text=st.lists(_WORD, max_size=12))
def test_the_finders_trie_regex_finds_what_an_alternation_finds(words, text):
    from archive.names.finder import _trie_regex

    haystack = " ".join(text) + " " + "-".join(sorted(words))
    trie = re.compile(r"(?<!\w)" + _trie_regex(sorted(words)) + r"(?!\w)")
    flat = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    plain = re.compile(r"(?<!\w)(?:" + flat + r")(?!\w)")
    assert [m.span() for m in trie.finditer(haystack)] == [
        m.span() for m in plain.finditer(haystack)
    ]
