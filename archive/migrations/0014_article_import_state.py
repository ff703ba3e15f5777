"""What a re-import compares to skip an unchanged article before any work (issue 9): the
hash of the fields it last imported, and the version of the catalogue its mentions were
linked with. Both nullable with no default, so SQLite adds them with ALTER TABLE ADD COLUMN
and never rebuilds archive_article (which would drop the full-text index's triggers).
Articles stored before this have neither: the next import links them once and records both.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0013_postgres_search_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="import_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="linked_with",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
    ]
