"""Search benchmark helpers (used by `manage.py bench_search`; never by the site).
Results and what they mean: docs/benchmarks.md.

db.py       the throwaway benchmark database (a temp SQLite file or `archive_bench_<articles>`)
corpus.py   a deterministic synthetic corpus built from the seed sentences and catalogue
load.py     streaming bulk load, with load rate and memory checkpoints
queries.py  the fixed query set, timed through the page and through the engine alone
report.py   the report (a dict, as text or JSON) and the targets it is held to
"""
