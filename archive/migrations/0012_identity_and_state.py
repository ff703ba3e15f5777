# An article's identity (source_key), the archive's last change (ArchiveState), and
# deleted articles remembered like other deletions (Suppression "article").

from django.db import migrations, models


def source_keys(apps, schema_editor):
    """The identity of the articles already stored, by the rule the importer follows."""
    import hashlib

    Article = apps.get_model("archive", "Article")
    seen = set()
    for article in Article.objects.only("id", "source_url", "seed_file", "content_hash"):
        text = f"text:{article.seed_file}:{article.content_hash}"
        basis = f"url:{article.source_url}" if article.source_url else text
        key = hashlib.sha256(basis.encode()).hexdigest()
        if key in seen:  # two stored articles from one address: keep both, keyed by text
            key = hashlib.sha256(f"{text}:{article.pk}".encode()).hexdigest()
        seen.add(key)
        article.source_key = key
        article.save(update_fields=["source_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0011_relinkjob_announced"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArchiveState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("changed", models.DateTimeField()),
            ],
        ),
        migrations.AddField(
            model_name="article",
            name="source_key",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="suppression",
            name="what",
            field=models.CharField(
                choices=[
                    ("entity", "Entity"),
                    ("alias", "Alias"),
                    ("relationship", "Relationship"),
                    ("status", "Program status"),
                    ("article", "Article"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(source_keys, migrations.RunPython.noop),
        # A partial unique index: unique=True would make SQLite rebuild the table, dropping
        # the full-text index's triggers (migrations 0002 and 0006).
        migrations.AddConstraint(
            model_name="article",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source_key__isnull", False)),
                fields=("source_key",),
                name="unique_article_source",
            ),
        ),
    ]
