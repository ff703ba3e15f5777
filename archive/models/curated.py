from django.db import models


class Curated(models.Model):
    """A row the import writes and editors may correct.

    The fields an editor set are listed in `edited_fields`; the import never overwrites
    them (sync_from_import skips them), and "hand back to the import" empties the list.
    """

    edited_fields = models.JSONField(
        default=list, blank=True, help_text="Fields an editor set; imports leave them alone."
    )

    class Meta:
        abstract = True

    def mark_edited(self, fields) -> None:
        """Remember that an editor set `fields` (not saved here)."""
        fields = set(fields)
        if fields - set(self.edited_fields):
            self.edited_fields = sorted(set(self.edited_fields) | fields)

    def sync_from_import(self, values: dict) -> tuple[list[str], int]:
        """Set every field of `values` that differs, except those an editor set, and save
        them. Returns the fields changed and how many differing fields were left alone."""
        changed, left_alone = [], 0
        for name, value in values.items():
            if getattr(self, name) == value:
                continue
            if name in self.edited_fields:
                left_alone += 1
                continue
            setattr(self, name, value)
            changed.append(name)
        if changed:
            stamp = ["updated"] if any(f.name == "updated" for f in self._meta.fields) else []
            self.save(update_fields=[*changed, *stamp])
        return changed, left_alone
