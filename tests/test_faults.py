"""Faults lose nothing: an import killed (SIGKILL) in the middle of its transaction leaves
the database exactly as it was, on both engines, and running it again completes it.

The kill is deterministic: the import runs in a child process whose importer is wrapped so
that, after storing PAUSE_AFTER articles (inside the import's transaction), it writes a
marker file and sleeps; the test waits for the marker and kills the child with SIGKILL,
which no handler, `finally` or atexit can soften.
"""

import json
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

from .faults_support import ENGINES, assert_same, kill, prepare, seeded_database, wait_for
from .spec import ARTICLE_BY_SLUG, ARTICLES, FACIAL

# New material, in two files: an update of a seed article (the same source address; its
# text gains a paragraph, so the catalogue's quotes from it still hold), then three new ones.
UPDATE = """\
---
title: {title} (updated)
published: 2022-05-27
source_url: {source_url}
---

{body}

Update: Trust Stamp now says the exposed records were deleted; ICE has not said if it agrees.
"""
NEW_SEEDS = {
    "101_more_new.md": """\
---
title: CBP Quietly Extends Its Contract With Babel Street
published: 2024-04-02
source_url: https://example.org/2024/04/02/cbp-babel-street/
publication: Example Watchdog
---

U.S. Customs and Border Protection renewed its contract with Babel Street for another year.
ICE officials were briefed on the tool, according to records obtained by Example Watchdog.

---
title: Fusion Center Reads License Plates For ICE
published: 2024-05-10
source_url: https://example.org/2024/05/10/fusion-center-plates/
publication: Example Watchdog
---

A state fusion center shared license plate reader data with ICE and CBP for two years.
The Northern Plate Exchange, Inc. sold the cameras to the county.

---
title: Palantir Wins Another ICE Case Management Contract
published: 2024-06-20
source_url: https://example.org/2024/06/20/palantir-case-management/
publication: Example Watchdog
---

Palantir Technologies will keep running the case management system ICE agents use daily.
The contract runs five years; DHS did not say what it costs.
""",
}
NEW_SLUGS = 3  # the first article updates a seed article
PAUSE_AFTER = 3  # the update and two new articles are written when the import is killed

# The child: Django set up on the throwaway database; the importer's store_article wrapped
# to stop (inside the transaction) after PAUSE_AFTER articles, saying so in the marker.
KILLED_IMPORT = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from archive.ingest import importer
    from archive.models import Article

    original, calls = importer.store_article, []
    if connection.vendor == "sqlite":
        # A small page cache: the transaction's pages spill into the WAL file before it
        # commits, so the kill leaves uncommitted frames on disk for recovery to ignore.
        connection.cursor().execute("PRAGMA cache_size = 4")


    def store_article(raw, *args, **kwargs):
        article = original(raw, *args, **kwargs)
        calls.append(raw.slug)
        if len(calls) == int(os.environ["PAUSE_AFTER"]):
            marker = Path(os.environ["MARKER"])
            seen = {
                "in_atomic_block": connection.in_atomic_block,
                "articles": Article.objects.count(),
                "stored": calls,
                "wal_bytes": os.path.getsize(f"{connection.settings_dict['NAME']}-wal")
                if connection.vendor == "sqlite"
                else None,
            }
            marker.with_suffix(".tmp").write_text(json.dumps(seen))
            marker.with_suffix(".tmp").replace(marker)
            time.sleep(600)
        return article


    importer.store_article = store_article
    call_command("import_seeds", sys.argv[1])
    print("the import finished: it was never killed")
    """
)


@pytest.fixture(scope="module", autouse=True)
def templates():
    """Both engines' seeded templates, made side by side while the first test starts."""
    prepare(*ENGINES)


@pytest.mark.parametrize("vendor", ENGINES)
def test_import_killed_mid_transaction_changes_nothing_and_a_rerun_completes(vendor):
    with seeded_database(vendor) as db:
        seeds = db.folder / "new-seeds"
        seeds.mkdir()
        with closing(db.connect()) as conn:
            body = conn.execute(
                f"SELECT body FROM archive_article WHERE slug = {db.param}", [FACIAL]
            ).fetchone()[0]
        facial = ARTICLE_BY_SLUG[FACIAL]
        update = UPDATE.format(
            title=facial["title"], source_url=facial["source_url"], body=body.replace("\n", "\n\n")
        )
        (seeds / "100_update.md").write_text(update, encoding="utf-8")
        for name, text in NEW_SEEDS.items():
            (seeds / name).write_text(text, encoding="utf-8")
        before = db.dump()
        wal = Path(f"{db.path}-wal")
        wal_before = wal.stat().st_size if vendor == "sqlite" and wal.exists() else 0
        articles = db.count("archive_article")
        assert articles == len(ARTICLES)

        marker = db.folder / "paused.json"
        child = db.python(
            KILLED_IMPORT, str(seeds), env={"PAUSE_AFTER": str(PAUSE_AFTER), "MARKER": str(marker)}
        )
        try:
            wait_for(marker.exists, 60, "the import reaching its pause", proc=child)
            seen = json.loads(marker.read_text())
            # Inside its transaction the import had written an update and two new articles.
            assert seen["in_atomic_block"] and len(seen["stored"]) == PAUSE_AFTER
            assert seen["articles"] == articles + PAUSE_AFTER - 1
            # Meanwhile nobody else sees any of it.
            assert_same(before, db.dump(), "a reader during the open import transaction")
            if vendor == "sqlite":
                # Uncommitted pages are on disk, in the WAL (see the child's cache_size).
                assert seen["wal_bytes"] > wal_before, (seen, wal_before)
            else:
                # The server holds the transaction open.
                with closing(db.connect()) as conn:
                    states = conn.execute(
                        "SELECT state FROM pg_stat_activity WHERE datname = %s", [db.name]
                    ).fetchall()
                assert ("idle in transaction",) in states, states
        finally:
            kill(child)
        assert child.returncode == -9, child.returncode

        after = db.dump()
        assert_same(before, after, "the database after the import was killed")
        if vendor == "sqlite":
            with closing(db.connect()) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

        # Run again, normally: the import completes.
        # (Then once more, in the same process: it finds nothing left to do.)
        out, again = db.commands(("import_seeds", str(seeds)), ("import_seeds", str(seeds)))
        assert f"Articles: {NEW_SLUGS} created, 1 updated, 0 unchanged" in out, out
        assert "No changes" in again, again
        assert db.count("archive_article") == articles + NEW_SLUGS
        with closing(db.connect()) as conn:
            title = conn.execute(
                f"SELECT title FROM archive_article WHERE slug = {db.param}", [FACIAL]
            ).fetchone()[0]
        assert title.endswith("(updated)")
