"""The full-text index, one per database vendor, kept in step by the database itself.

SQLite: an FTS5 table over (title, entity_text, body) with porter stemming and diacritics
folded, an external-content table synced by triggers.
PostgreSQL: a stored generated tsvector (title A, entity names B, body D) with a GIN index,
in a text search configuration aligned with FTS5: unaccent, snowball English stemming and no
stop words (FTS5 has none, so "the who" means the same on both), plus pg_trgm for spelling
suggestions.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE archive_article_fts USING fts5(
        title, entity_text, body,
        content='archive_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER archive_article_fts_ai AFTER INSERT ON archive_article BEGIN
        INSERT INTO archive_article_fts(rowid, title, entity_text, body)
        VALUES (new.id, new.title, new.entity_text, new.body);
    END""",
    """CREATE TRIGGER archive_article_fts_ad AFTER DELETE ON archive_article BEGIN
        INSERT INTO archive_article_fts(archive_article_fts, rowid, title, entity_text, body)
        VALUES ('delete', old.id, old.title, old.entity_text, old.body);
    END""",
    """CREATE TRIGGER archive_article_fts_au AFTER UPDATE OF title, entity_text, body ON archive_article BEGIN
        INSERT INTO archive_article_fts(archive_article_fts, rowid, title, entity_text, body)
        VALUES ('delete', old.id, old.title, old.entity_text, old.body);
        INSERT INTO archive_article_fts(rowid, title, entity_text, body)
        VALUES (new.id, new.title, new.entity_text, new.body);
    END""",
    "INSERT INTO archive_article_fts(archive_article_fts) VALUES ('rebuild')",
    # The vocabulary of the index, for "did you mean" suggestions.
    "CREATE VIRTUAL TABLE archive_article_fts_vocab USING fts5vocab(archive_article_fts, 'row')",
]
SQLITE_BACKWARD = [
    "DROP TABLE IF EXISTS archive_article_fts_vocab",
    "DROP TRIGGER IF EXISTS archive_article_fts_ai",
    "DROP TRIGGER IF EXISTS archive_article_fts_ad",
    "DROP TRIGGER IF EXISTS archive_article_fts_au",
    "DROP TABLE IF EXISTS archive_article_fts",
]

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TEXT SEARCH DICTIONARY archive_stem (TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION archive_english (COPY = simple)",
    """ALTER TEXT SEARCH CONFIGURATION archive_english
        ALTER MAPPING FOR asciiword, word, numword, asciihword, hword, numhword,
                          hword_asciipart, hword_part, hword_numpart
        WITH unaccent, archive_stem""",
    """ALTER TABLE archive_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('archive_english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('archive_english'::regconfig, coalesce(entity_text, '')), 'B') ||
        setweight(to_tsvector('archive_english'::regconfig, coalesce(body, '')), 'D')
    ) STORED""",
    "CREATE INDEX archive_article_search_vector ON archive_article USING gin (search_vector)",
    # Words of the corpus for trigram "did you mean" (refreshed by the importer).
    """CREATE MATERIALIZED VIEW archive_search_words AS
        SELECT word, ndoc FROM ts_stat(
            $$SELECT to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body, '')) FROM archive_article$$
        )""",
    "CREATE INDEX archive_search_words_trgm ON archive_search_words USING gin (word gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP MATERIALIZED VIEW IF EXISTS archive_search_words",
    "DROP INDEX IF EXISTS archive_article_search_vector",
    "ALTER TABLE archive_article DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS archive_english",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS archive_stem",
]


def _run(statements):
    def apply(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


def _check_fts5(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cur:
        cur.execute("PRAGMA compile_options")
        options = {row[0] for row in cur.fetchall()}
    if "ENABLE_FTS5" not in options:
        # Fail loudly: searching without an index would silently give wrong answers.
        raise RuntimeError(
            "This Python's SQLite was built without FTS5, which the search needs. "
            "Use a Python whose sqlite3 module has FTS5 (python.org and pyenv builds do)."
        )


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [
        migrations.RunPython(_check_fts5, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
