from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

# The models whose rows the public pages, feeds and API show: saving or deleting one records
# the archive's last change (archive/state.py), which their ETag and Last-Modified follow.
# Entity's subclasses are listed too: a model signal names the class that was saved.
PUBLIC_MODELS = (
    "Article",
    "Entity",
    "Agency",
    "Contractor",
    "Program",
    "Alias",
    "Mention",
    "Relationship",
    "ProgramStatus",
    "EntityRedirect",
)


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Surveillance archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import state

        for name in PUBLIC_MODELS:
            model = self.get_model(name)
            post_save.connect(state.changed, sender=model)
            post_delete.connect(state.changed, sender=model)
