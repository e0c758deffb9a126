# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
FIXTURES := countries officials sources meetings commitments
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: eval-extraction help install demo test lint check pytest fixtures serve test-postgres load backup restore bench bench-quick screenshots clean schema test-postgres load bench-quick

help:
	@echo "make demo           set up and serve the demo on http://$(HOST):$(PORT)/ (SQLite)"
	@echo "make test           set up and run linters, checks and the whole test suite"
	@echo "make fixtures       rebuild fixtures/*.json from seeds/"
	@echo "make eval-extraction  score the commitment proposer on bench/extraction/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing the Python dependencies into $(VENV)/ (a few minutes the first time)..."
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar off -e '.[test]'
	@echo "Dependencies installed."
	touch $@

install: $(VENV)/.installed

# The background worker (archiving evidence) runs beside the web server and
# stops with it.
demo: install
	$(MANAGE) migrate --no-input
	$(MANAGE) setup_demo --address $(HOST):$(PORT)
	@$(MANAGE) db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

fixtures: install
	$(MANAGE) build_fixtures

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) build_fixtures --check

# One test process per core (pytest-xdist): each has its own test database,
# cache folder or Redis prefix, and free ports.
PYTEST_WORKERS ?= auto
pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: lint check pytest

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles

schema: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) spectacular --validate --fail-on-warn --file docs/openapi.yaml

# Retake the README's screenshots (docs/screenshots/) from the browser tests, and
# the picture of the PDF's summary page from the PDF itself (poppler's pdftoppm).
screenshots: install
	SAVE_SCREENSHOTS=1 $(BIN)/pytest -q -m browser -p no:logging
	SAVE_SCREENSHOTS=1 $(BIN)/pytest -q -p no:logging tests/reports/test_pdf.py

# The PostgreSQL pass of CI, on a throwaway local server.
test-postgres: install
	.ci/with-postgres $(MAKE) pytest

# Score the commitment proposer on the hand-annotated readouts of bench/extraction/
# (a scratch database with the seed, against which restatements are matched).
eval-extraction: install
	@scratch=$$(mktemp -d); \
	SQLITE_PATH=$$scratch/eval.sqlite3 $(MANAGE) migrate --no-input -v0 && \
	SQLITE_PATH=$$scratch/eval.sqlite3 $(MANAGE) loaddata -v0 $(FIXTURES) && \
	SQLITE_PATH=$$scratch/eval.sqlite3 $(MANAGE) evaluate_extraction $(EVAL_ARGS); \
	status=$$?; rm -rf $$scratch; exit $$status

# Concurrent readers and writers through gunicorn on a scratch SQLite database
# (or on DATABASE_URL, which then receives the test's status updates).
LOAD_ARGS ?= --duration 20 --readers 8 --writers 4
load: install
	@scratch=$$(mktemp -d); \
	SQLITE_PATH=$$scratch/load.sqlite3 $(MANAGE) migrate --no-input -v0 && \
	SQLITE_PATH=$$scratch/load.sqlite3 $(MANAGE) load_test $(LOAD_ARGS) \
		$(if $(LOAD_PORT),--port $(LOAD_PORT)); \
	status=$$?; rm -rf $$scratch; exit $$status

# A JSON backup under backups/; restore with `make restore BACKUP=backups/....json`
# into an empty, migrated database (SQLite or DATABASE_URL).
backup: install
	$(MANAGE) backup

restore: install
	@test -n "$(BACKUP)" || (echo "usage: make restore BACKUP=backups/<file>.json" >&2; exit 2)
	$(MANAGE) migrate --no-input
	$(MANAGE) restore "$(BACKUP)"

# Production serving: gunicorn + whitenoise with config.settings.production.
# Needs SECRET_KEY and ALLOWED_HOSTS (and usually DATABASE_URL) in the environment.
WORKERS ?= 2
PROD := DJANGO_SETTINGS_MODULE=config.settings.production
serve: install
	$(PROD) $(MANAGE) check --deploy
	$(PROD) $(MANAGE) collectstatic --no-input -v0
	$(PROD) $(MANAGE) migrate --no-input
	@$(PROD) $(MANAGE) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PROD) $(BIN)/gunicorn config.wsgi:application --bind $(HOST):$(PORT) \
		--workers $(WORKERS) --threads 4 --worker-class gthread --access-logfile -

# Benchmarks: ratios against baselines measured in the same run (bench/results.json).
bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick
