"""The import's own bookkeeping (archive.ingest.importer): nothing here is public content.

- ImportedFile  per seed file, what its last import read (a fingerprint of its bytes and of
                everything else that decides what it stores, and a summary of each of its
                articles), so an unchanged file is skipped before it is parsed
- ImportRun     a run that writes in several short transactions (SQLite, many new
                articles): the articles it has created so far, so a run that fails, or is
                killed, is undone (by itself, or by the next import)
"""

from django.db import models


class ImportedFile(models.Model):
    # The file's resolved path: the same name in two folders is two files.
    path = models.CharField(max_length=1000, unique=True)
    # sha256 of the file's bytes, its manifest entry (plain text) and the reading rules.
    fingerprint = models.CharField(max_length=64)
    # Per article it holds, what a re-import compares with what is stored to decide that
    # nothing is to be done (importer.Ghost): identity, import hash, the curated fields as
    # the file gives them, and where it is. Compared on every run, so an editor's change
    # (a field handed back, an article deleted) is seen without reading the file.
    articles = models.JSONField(default=list)
    recorded = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "imported file"

    def __str__(self):
        return self.path


class ImportRun(models.Model):
    class State(models.TextChoices):
        WRITING = "writing", "Writing"
        DONE = "done", "Done"
        UNDOING = "undoing", "Undoing"
        UNDONE = "undone", "Undone"

    state = models.CharField(max_length=10, choices=State.choices, default=State.WRITING)
    pid = models.IntegerField()
    host = models.CharField(max_length=255)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True)
    # Ids of the articles this run has created and committed so far.
    article_ids = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "import run"

    def __str__(self):
        return f"import run {self.pk} ({self.state})"
