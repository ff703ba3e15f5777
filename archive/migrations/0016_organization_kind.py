"""Organizations (watchdogs, advocacy groups, news outlets, courts) beside agencies,
contractors and programs; descriptions that cite their sources; relationships that say when
their sentence is collective, where the paragraph names a party, and a second quote for an
amount or period; settlements; and program statuses that are facts: "pilot" becomes
"active" and the opinion "disputed" is no status at all.
"""

import django.db.models.deletion
from django.db import migrations, models


def statuses_are_facts(apps, schema_editor):
    ProgramStatus = apps.get_model("archive", "ProgramStatus")
    Program = apps.get_model("archive", "Program")
    ProgramStatus.objects.filter(status="disputed").delete()
    for pilot in ProgramStatus.objects.filter(status="pilot"):
        if ProgramStatus.objects.filter(
            program_id=pilot.program_id,
            status="active",
            year=pilot.year,
            article_id=pilot.article_id,
        ).exists():
            pilot.delete()
        else:
            pilot.status = "active"
            pilot.save(update_fields=["status"])
    Program.objects.filter(status="pilot").update(status="active")
    # Two claims the corrected catalogue withdraws (the loader adds and updates statuses but
    # cannot tell a withdrawn claim from an editor's): CLEAR did not end, only the utility
    # data stopped flowing into it; the undated Wyden article gives TRAC no year.
    ProgramStatus.objects.filter(
        program__slug="clear", status="ended", note__startswith="ICE's access"
    ).delete()
    ProgramStatus.objects.filter(
        program__slug="trac",
        status="active",
        year=2022,
        article__slug="wyden-catches-ice-illegally-collecting-financial-data",
    ).delete()
    Program.objects.filter(status="disputed").update(status="")


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0015_relationship_claim_identity"),
    ]

    operations = [
        migrations.CreateModel(
            name="Organization",
            fields=[
                (
                    "entity_ptr",
                    models.OneToOneField(
                        auto_created=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        parent_link=True,
                        primary_key=True,
                        serialize=False,
                        to="archive.entity",
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
            },
            bases=("archive.entity",),
        ),
        migrations.AddField(
            model_name="entity",
            name="description_sources",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="relationship",
            name="collective",
            field=models.BooleanField(
                default=False,
                help_text="The sentence speaks of several parties together (“these companies … via companies like …”) and does not say which of them did this with which.",
            ),
        ),
        migrations.AddField(
            model_name="relationship",
            name="context",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "the quote"),
                    ("paragraph", "the quote's paragraph"),
                    ("previous paragraph", "the paragraph before the quote"),
                ],
                help_text="Where the article names a party the quote refers to only as “the company”, “these agencies”…",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="relationship",
            name="second_quote",
            field=models.TextField(
                blank=True,
                help_text="Another whole sentence of the same article, where the amount or period the quote does not state is stated.",
            ),
        ),
        migrations.AlterField(
            model_name="entity",
            name="kind",
            field=models.CharField(
                choices=[
                    ("agency", "Agency"),
                    ("contractor", "Contractor"),
                    ("program", "Program"),
                    ("organization", "Organization"),
                ],
                db_index=True,
                editable=False,
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("proposed", "Proposed"),
                    ("active", "Active"),
                    ("suspended", "Suspended"),
                    ("ended", "Ended"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="programstatus",
            name="status",
            field=models.CharField(
                choices=[
                    ("proposed", "Proposed"),
                    ("active", "Active"),
                    ("suspended", "Suspended"),
                    ("ended", "Ended"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="relationship",
            name="kind",
            field=models.CharField(
                choices=[
                    ("part_of", "is part of"),
                    ("operates", "operates"),
                    ("supplies", "supplies"),
                    ("sells_to", "sells to"),
                    ("resells_for", "resells for"),
                    ("owns", "owns"),
                    ("funds", "funds"),
                    ("oversees", "oversees"),
                    ("investigates", "investigates"),
                    ("uses", "uses"),
                    ("contracts_with", "holds a contract with"),
                    ("settled_with", "reached a settlement with"),
                ],
                max_length=30,
            ),
        ),
        migrations.RunPython(statuses_are_facts, migrations.RunPython.noop),
    ]
