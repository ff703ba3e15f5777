"""Ingestion: seeds -> database. The only code that writes articles, mentions and candidates.

readers.py   files -> RawArticle (plain text + manifest, Markdown with front matter)
catalogue.py fixtures/catalogue.json -> entities, aliases, relationships, program statuses
discovery.py article text -> candidate entities (names the catalogue lacks)
importer.py  the transaction that ties them together (used by `import_seeds`), and
             link_articles, which writes mentions (also used by curation's relinks)

Names and text rules (the linker, folding) live in archive.names, shared with search.
"""


class IngestError(Exception):
    """Bad input: the message names the file and the line or article, in one line."""
