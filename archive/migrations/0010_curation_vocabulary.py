# One word per idea (see archive/models/__init__.py): Candidate.state, Relationship.edited_fields;
# RelinkJob runs whole-archive relinks outside the request.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

IMPORTED_FIELDS = ["amount", "period", "quote"]


def flag_to_fields(apps, schema_editor):
    Relationship = apps.get_model("archive", "Relationship")
    Relationship.objects.filter(edited=True).update(edited_fields=IMPORTED_FIELDS)


def fields_to_flag(apps, schema_editor):
    Relationship = apps.get_model("archive", "Relationship")
    Relationship.objects.exclude(edited_fields=[]).update(edited=True)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0009_suppressions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="candidate",
            options={
                "ordering": ["state", "name"],
                "verbose_name": "candidate entity",
                "verbose_name_plural": "candidate entities",
            },
        ),
        migrations.RenameField(
            model_name="candidate",
            old_name="status",
            new_name="state",
        ),
        migrations.AddField(
            model_name="relationship",
            name="edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Fields an editor set; imports leave them alone.",
            ),
        ),
        # An edited relationship (the old flag) kept every field the catalogue writes.
        migrations.RunPython(flag_to_fields, fields_to_flag),
        migrations.RemoveField(
            model_name="relationship",
            name="edited",
        ),
        migrations.AlterField(
            model_name="entity",
            name="edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Fields an editor set; imports leave them alone.",
            ),
        ),
        migrations.CreateModel(
            name="RelinkJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.CharField(max_length=300)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=20,
                    ),
                ),
                (
                    "result",
                    models.TextField(
                        blank=True, help_text="What the relink changed, or why it failed."
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("started", models.DateTimeField(blank=True, null=True)),
                ("finished", models.DateTimeField(blank=True, null=True)),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "relink job",
                "ordering": ["-created", "-id"],
            },
        ),
    ]
