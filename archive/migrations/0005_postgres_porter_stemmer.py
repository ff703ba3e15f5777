"""PostgreSQL stems with the original Porter algorithm, exactly like SQLite's FTS5 porter
tokenizer, so both engines return the same articles ("clearly" -> "clearli" on both; Snowball
English made it "clear"). Updating every row makes PostgreSQL recompute the stored tsvector."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TEXT SEARCH DICTIONARY archive_stem (Language = porter)")
    schema_editor.execute("UPDATE archive_article SET id = id")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TEXT SEARCH DICTIONARY archive_stem (Language = english)")
    schema_editor.execute("UPDATE archive_article SET id = id")


class Migration(migrations.Migration):
    dependencies = [("archive", "0004_program_status_unique")]

    operations = [migrations.RunPython(forwards, backwards)]
