"""What a word is, specified by a table that must hold on both engines (issue 9, item 4).

One rule, everywhere: a word is a run of letters and digits; every other character
separates words. The query is split by it (names.text.words), FTS5's unicode61 tokenizer
splits documents by it, and PostgreSQL's tsvector is computed from text normalised to it
(migration 0013): so "U.S." is the phrase "u s", "and/or" the phrase "and or", "1,000" the
phrase "1 000", "$300" the word "300", "e-mail" the phrase "e mail", "driver’s" the phrase
"driver s", and single letters are words like any other.

Each row: a query, a few small articles, and which of them it finds. This module runs every
row on this process's engine; tests/test_search.py::test_engine_agrees_on_words runs the same
rows on the other engine in one run and compares.
"""

import pytest

from archive.models import Article
from archive.search import search

pytestmark = pytest.mark.django_db

# (query, {article: body}, the articles the query finds)
WORDS: list[tuple[str, dict[str, str], set[str]]] = [
    # Abbreviations: the letters, in order, whatever separates them.
    (
        "U.S.",
        {"dots": "The U.S. government paid.", "spaced": "the u s army", "us": "us and them"},
        {"dots", "spaced"},
    ),
    (
        "U.S.A.",
        {"usa": "Made in the U.S.A. today.", "us": "The U.S. government paid."},
        {"usa"},
    ),
    (
        "US",
        {"dots": "The U.S. government paid.", "us": "us and them"},
        {"us"},
    ),
    (
        "U.S. Customs",
        {"agency": "U.S. Customs and Border Protection", "apart": "U.S. officials; customs"},
        {"agency", "apart"},
    ),
    (
        '"U.S. Customs"',
        {"agency": "U.S. Customs and Border Protection", "apart": "U.S. officials; customs"},
        {"agency"},
    ),
    # Slashes separate.
    (
        "and/or",
        {"slash": "names and/or numbers", "spaced": "names and or numbers", "and": "and then"},
        {"slash", "spaced"},
    ),
    ("or", {"slash": "names and/or numbers", "and": "names and numbers"}, {"slash"}),
    # Numbers: digits are words; commas, points and currency signs separate.
    (
        "2",
        {"two": "2 agents", "twenty_two": "22 agents", "version": "version 2.0", "x": "two"},
        {"two", "version"},
    ),
    (
        "1,000",
        {"comma": "1,000 cameras", "plain": "1000 cameras", "space": "1 000 cameras"},
        {"comma", "space"},
    ),
    (
        "1000",
        {"comma": "1,000 cameras", "plain": "1000 cameras"},
        {"plain"},
    ),
    (
        "3.5",
        {"decimal": "3.5 million", "spaced": "version 3 5", "joined": "35 million"},
        {"decimal", "spaced"},
    ),
    (
        "$300",
        {"dollars": "paid $300 for it", "plain": "300 people", "more": "3000 people"},
        {"dollars", "plain"},
    ),
    # Hyphens separate: "e-mail" is the phrase "e mail", never the word "email".
    (
        "e-mail",
        {"hyphen": "sent an e-mail", "spaced": "an e mail", "joined": "an email"},
        {"hyphen", "spaced"},
    ),
    ("email", {"hyphen": "sent an e-mail", "joined": "an email"}, {"joined"}),
    (
        '"send e-mail"',
        {"hyphen": "they send e-mail daily", "spaced": "send e mail", "other": "send mail"},
        {"hyphen", "spaced"},
    ),
    (
        "co-operate",
        {"hyphen": "agreed to co-operate", "inflected": "they co-operated", "joined": "cooperate"},
        {"hyphen", "inflected"},
    ),
    # Apostrophes, straight or curly, separate.
    (
        "driver's",
        {"straight": "the driver's licence", "curly": "the driver’s licence", "plural": "drivers"},
        {"straight", "curly"},
    ),
    (
        "driver’s",
        {"straight": "the driver's licence", "curly": "the driver’s licence", "plural": "drivers"},
        {"straight", "curly"},
    ),
    ("driver", {"curly": "the driver’s licence", "other": "a pilot"}, {"curly"}),
    # Single letters are words.
    (
        "i",
        {"pronoun": "I said no", "roman": "part II", "in": "in the", "is": "it is"},
        {"pronoun"},
    ),
    # Two-letter words are never stemmed (FTS5's rule): "is" is not "i", "us" not "u".
    ("is", {"is": "it is", "pronoun": "I said no", "its": "its own"}, {"is"}),
    ("u", {"letter": "the letter u", "us": "us and them"}, {"letter"}),
    ("e", {"vitamin": "vitamin e", "hyphen": "an e-mail", "word": "every"}, {"vitamin", "hyphen"}),
    ("s", {"apostrophe": "ICE's contract", "word": "sits"}, {"apostrophe"}),
    # Other punctuation separates too.
    ("x", {"underscore": "x_y", "word": "xylophone"}, {"underscore"}),
    (
        "path",
        {"file": "see /usr/path/to", "url": "example.com/path", "other": "paths"},
        {
            "file",
            "url",
            "other",
        },
    ),
]


def slug(row: int, name: str) -> str:
    return f"w{row}-{name.replace('_', '-')}"


def article_rows() -> list[dict]:
    """Every row's articles, with slugs unique across rows (for the other engine)."""
    return [
        {"slug": slug(i, name), "title": "Untitled", "body": body}
        for i, (_, bodies, _) in enumerate(WORDS)
        for name, body in bodies.items()
    ]


def found_in_row(row: int, slugs: list[str]) -> set[str]:
    """Which of row `row`'s articles are among `slugs` (by name), ignoring the seed."""
    prefix = f"w{row}-"
    names = {slug(row, n): n for n in WORDS[row][1]}
    return {names[s] for s in slugs if s.startswith(prefix) and s in names}


@pytest.mark.parametrize(
    "row", [pytest.param(i, id=f"{q} -> {sorted(e)}") for i, (q, _, e) in enumerate(WORDS)]
)
def test_a_word_is_a_run_of_letters_and_digits(seeded, row):
    query, bodies, expected = WORDS[row]
    Article.objects.bulk_create(
        Article(slug=slug(row, name), title="Untitled", body=body) for name, body in bodies.items()
    )
    r = search(query, page_size=100)
    assert found_in_row(row, [h.article.slug for h in r.hits]) == expected


def test_the_title_vector_reads_a_title_as_the_search_vector_does():
    # The stored title vector (0020) splits and marks words exactly as the big vector (0013).
    import importlib

    from archive.search.postgres import TITLE_VECTOR

    words = importlib.import_module("archive.migrations.0013_postgres_search_words").WORDS
    title = importlib.import_module("archive.migrations.0020_postgres_title_vector")
    assert title.WORDS == words.format("title")
    assert TITLE_VECTOR == "a.title_vector"
