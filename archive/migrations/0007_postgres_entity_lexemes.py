"""PostgreSQL: the words of an article's linked entity names also enter the tsvector as
"e0<word>" lexemes, so an acronym query (CLEAR, ICE: "named by a linked entity") is a plain
GIN lookup. The weight-restricted form it replaces ('ice:B') made PostgreSQL recheck every
candidate row, unpacking its tsvector (figures in docs/benchmarks.md).
SQLite expresses the same condition as an FTS5 column filter ({entity_text} : "ice")."""

from django.db import migrations

VECTOR = """
    setweight(to_tsvector('archive_english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('archive_english'::regconfig, coalesce(entity_text, '')), 'B') ||
    setweight(to_tsvector('simple'::regconfig,
        regexp_replace(coalesce(entity_text, ''), '([[:alnum:]]+)', 'e0\\1', 'g')), 'B') ||
    setweight(to_tsvector('archive_english'::regconfig, coalesce(body, '')), 'D')
"""
OLD_VECTOR = """
    setweight(to_tsvector('archive_english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('archive_english'::regconfig, coalesce(entity_text, '')), 'B') ||
    setweight(to_tsvector('archive_english'::regconfig, coalesce(body, '')), 'D')
"""


def _replace(vector):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("DROP INDEX IF EXISTS archive_article_search_vector")
        schema_editor.execute("ALTER TABLE archive_article DROP COLUMN search_vector")
        schema_editor.execute(
            f"ALTER TABLE archive_article ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        schema_editor.execute(
            "CREATE INDEX archive_article_search_vector ON archive_article USING gin (search_vector)"
        )

    return apply


class Migration(migrations.Migration):
    dependencies = [("archive", "0006_search_indexes")]

    operations = [migrations.RunPython(_replace(VECTOR), _replace(OLD_VECTOR))]
