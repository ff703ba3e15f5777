"""Marked titles and snippets at a bounded cost per hit, whatever the size of a body.

FTS5's snippet() and PostgreSQL's ts_headline() tokenize the whole text they are given; on
a 10 MB body that is minutes of CPU per search (issue 9). So they are never given a body:
each hit gives at most EXCERPT_CHARS of it, the start of the body, or, when a long body's
start holds no match, the stretch around the first place a query word occurs (one plain
substring scan in the database, no tokenizing), so the snippet still shows a match when
there is one to show.

SQLite marks the excerpts in a private in-memory FTS5 table with the index's own tokenizer
(one per thread), queried with the same MATCH expression as the search, so it marks exactly
what the index matched; nothing is written to the archive's database (a replica or a
read-only file works the same).
"""

import sqlite3
import threading
from dataclasses import dataclass

# Characters of a body (and of the linked entity names) handed to the marker, per hit.
EXCERPT_CHARS = 10_000
ENTITY_CHARS = 2_000
# Where a long body's excerpt starts, before the first occurrence found: some lead-in.
LEAD_IN = 300

TOKENIZE = "porter unicode61 remove_diacritics 2"  # migration 0002's archive_article_fts


@dataclass
class Excerpt:
    id: int
    title: str
    entity_text: str
    body: str
    truncated: bool  # the body goes on past this excerpt


def probe(word: str) -> str:
    """A plain substring likely to start an occurrence of `word` in any inflection: its
    first letters, without the endings stemming removes ("detainees" -> "detain")."""
    return word if len(word) <= 4 else word[: max(4, len(word) - 3)]


_local = threading.local()


def _memory() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.execute(
            f"CREATE VIRTUAL TABLE hl USING fts5(title, entity_text, body, tokenize='{TOKENIZE}')"
        )
        _local.conn = conn
    return conn


def fts5_marks(
    match: str, excerpts: list[Excerpt], start: str, end: str, tokens: int = 30
) -> dict[int, tuple[str, str]]:
    """highlight() of the title and snippet() of the body, as the archive's FTS5 index would
    give them, computed on the bounded excerpts only."""
    conn = _memory()
    try:
        conn.executemany(
            "INSERT INTO hl(rowid, title, entity_text, body) VALUES (?, ?, ?, ?)",
            [(e.id, e.title, e.entity_text, e.body) for e in excerpts],
        )
        rows = conn.execute(
            "SELECT rowid, highlight(hl, 0, ?, ?), snippet(hl, 2, ?, ?, '…', ?) "
            "FROM hl WHERE hl MATCH ?",
            [start, end, start, end, tokens, match],
        ).fetchall()
    finally:
        conn.execute("DELETE FROM hl")
    return {r[0]: (r[1], r[2]) for r in rows}
