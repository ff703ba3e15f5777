# Two commands set everything up from a fresh clone: `make run` and `make test`.
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# pyenv reads .python-version; otherwise fall back to whatever python3.12+ is on PATH.
PYTHON ?= $(shell (pyenv which python 2>/dev/null) || command -v python3.13 || command -v python3.12 || command -v python3)

.PHONY: run serve test test-sqlite test-postgres venv migrate seed lint bench bench-site load screenshots clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "error: Python 3.12+ is required, found $$($(PYTHON) --version 2>&1) at $(PYTHON)."; \
	  echo "       Install one (e.g. 'pyenv install 3.12') or run: make PYTHON=/path/to/python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

# Development asks for DEBUG explicitly: without it the settings are production's and
# refuse to start without SECRET_KEY and ALLOWED_HOSTS.
DEV := DEBUG=1

migrate: venv
	$(DEV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEV) $(PY) manage.py import_seeds

run: seed
	$(DEV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production, locally: gunicorn (archive/gunicorn.conf.py; workers from the cores) with
# DEBUG off, WhiteNoise serving the collected, compressed, hashed static files. SQLite, or
# PostgreSQL when DATABASE_URL names one. The secret key is made once into .venv/secret_key
# unless SECRET_KEY is set; plain HTTP on 127.0.0.1, so no TLS redirect.
serve: venv
	@[ -n "$$SECRET_KEY" ] || [ -s $(VENV)/secret_key ] || { umask 077; \
	  $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(VENV)/secret_key; }
	export DEBUG=0 ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0 \
	  SECRET_KEY="$${SECRET_KEY:-$$(cat $(VENV)/secret_key)}" && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py import_seeds && \
	$(PY) manage.py collectstatic --noinput --verbosity 0 && \
	exec $(VENV)/bin/gunicorn -c archive/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

# The whole suite on SQLite, then again on PostgreSQL when one answers (CI always starts one).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# axe-core (npm) for the accessibility tests; they skip, saying so, where npm is missing.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --silent && touch $@ || echo "NOTE: npm ci failed: the accessibility tests will skip"; \
	else echo "NOTE: no npm: the accessibility tests will skip"; fi

test: venv node_modules/.installed
	DATABASE_URL= $(PY) -m pytest
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== the same suite on PostgreSQL ($(PG_TEST_URL))"; \
	  DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest; \
	else echo "NOTE: no PostgreSQL answers at $(PG_TEST_URL); ran SQLite only (.ci/run starts one)"; fi

lint: venv
	$(VENV)/bin/ruff check archive tests

bench: venv
	$(DEV) $(PY) manage.py bench_search

# Every page type, and a load test against gunicorn, on the database DATABASE_URL names
# (e.g. the one `manage.py bench_search --keep` leaves). Read-only. docs/benchmarks.md.
bench-site: venv
	$(DEV) $(PY) manage.py bench_site

load: venv
	$(VENV)/bin/pip install --quiet -e '.[load]'
	$(DEV) $(PY) manage.py bench_load

# The README's pictures, taken by the browser tests from the current pages (needs Chromium).
screenshots: venv
	SCREENSHOTS=update DATABASE_URL= $(PY) -m pytest tests/test_screenshots.py

clean:
	rm -rf $(VENV) db.sqlite3
