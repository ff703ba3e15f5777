# The editor who queued a relink is told once, on their next admin page, that it finished.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0010_curation_vocabulary"),
    ]

    operations = [
        migrations.AddField(
            model_name="relinkjob",
            name="announced",
            field=models.BooleanField(default=False),
        ),
    ]
