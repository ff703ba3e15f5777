"""PostgreSQL: compress the tsvector and the body with lz4 instead of pglz where the server
supports it (PostgreSQL 14+ built with lz4, as Debian's is). A search that must recheck its
matches (phrases, weights) unpacks each row's tsvector, and lz4 unpacks faster than pglz.
Servers without lz4 keep pglz: the migration checks before it changes anything."""

from django.db import migrations


def _set(method):
    def apply(apps, schema_editor):
        conn = schema_editor.connection
        if conn.vendor != "postgresql":
            return
        with conn.cursor() as cur:
            cur.execute(
                "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                "AND %s = ANY(enumvals)",
                [method],
            )
            if not cur.fetchone():
                return
        for column in ("search_vector", "body"):
            schema_editor.execute(
                f"ALTER TABLE archive_article ALTER COLUMN {column} SET COMPRESSION {method}"
            )
        # Rewrite existing rows so they are stored the new way (new rows are anyway).
        schema_editor.execute("UPDATE archive_article SET body = body || ''")

    return apply


class Migration(migrations.Migration):
    dependencies = [("archive", "0007_postgres_entity_lexemes")]

    operations = [migrations.RunPython(_set("lz4"), _set("pglz"))]
