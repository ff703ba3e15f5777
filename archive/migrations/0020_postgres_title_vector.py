"""PostgreSQL: the title's words stored (a generated column) and indexed, instead of an index
over an expression.

The title tier (search.service.title_matches) reads the newest title matches. With only an
expression index, PostgreSQL either listed every title match from the table (ICE heads a
third of all titles: 30,000 rows read to keep 2,000, 93 ms at 100,000 articles) or walked
the ids newest first computing each title's tsvector (12 µs a row). A stored vector costs a
title's few words per import and makes both ways cheap (ICE: 7-11 ms).
SQLite needs nothing: FTS5's column filter reads its own index."""

from django.db import migrations

# The title's words exactly as 0013 read them (search.postgres.TITLE_VECTOR reads the column).
WORDS = (
    "regexp_replace(regexp_replace(coalesce(title, ''), '[^[:alnum:]]+', ' ', 'g'), "
    "'\\m([[:alnum:]][sSyY])\\M', '\\1\u07c0', 'g')"
)
OLD_INDEX = (
    "CREATE INDEX archive_article_title_vector ON archive_article USING gin ("
    f"(to_tsvector('archive_english'::regconfig, {WORDS})))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS archive_article_title_vector")
    schema_editor.execute(
        "ALTER TABLE archive_article ADD COLUMN title_vector tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('archive_english'::regconfig, {WORDS})) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX archive_article_title_vector ON archive_article USING gin (title_vector)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS archive_article_title_vector")
    schema_editor.execute("ALTER TABLE archive_article DROP COLUMN title_vector")
    schema_editor.execute(OLD_INDEX)


class Migration(migrations.Migration):
    dependencies = [("archive", "0019_agency_parent_source")]

    operations = [migrations.RunPython(forwards, backwards)]
