"""A relationship is one claim: its ends, kind and article, and also its amount and period.

Two statements of the same pair in the same article that differ in amount or period are two
sourced claims, and a merge keeps both (it used to drop one as a "duplicate"). On SQLite the
constraint change rebuilds archive_relationship only (no full-text triggers live there).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("archive", "0014_article_import_state")]

    operations = [
        migrations.RemoveConstraint(model_name="relationship", name="unique_relationship"),
        migrations.AddConstraint(
            model_name="relationship",
            constraint=models.UniqueConstraint(
                fields=["subject", "kind", "object", "article", "amount", "period"],
                name="unique_relationship_claim",
            ),
        ),
    ]
