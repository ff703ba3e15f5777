"""Ingestion: seeds -> database. The only code that writes articles, mentions and candidates.

readers.py   files -> RawArticle (plain text + manifest, Markdown with front matter)
catalogue.py fixtures/catalogue.json -> entities, aliases, relationships, program statuses
linker.py    article text -> entity mentions (offsets, counts)
discovery.py article text -> candidate names the catalogue lacks
importer.py  the transaction that ties them together (used by `import_seeds`)
"""


class IngestError(Exception):
    """Bad input: the message names the file and the line or article, in one line."""
