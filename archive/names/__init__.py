"""Names and text: the rules both sides of the archive read text by.

Ingestion (which writes mentions and candidates) and search (which parses queries and
names entities in them) must agree on what a word, a quote mark and an entity name are,
so those rules live here, owned by neither:

text.py    one quote table, one folding function, index words, sentences
linker.py  the catalogue's names compiled into one regex (Linker), and the catalogue
           read from the database (build_linker, entity_names)

Depends on models only; never on ingest, search or the pages.
"""
