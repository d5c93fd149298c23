# Registry Grants. `make demo` and `make test` work on a fresh clone (see README).
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
PY ?= $(shell command -v python$(PYTHON_VERSION) 2>/dev/null || command -v python3.13 2>/dev/null || command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py

.PHONY: install demo serve test test-fast lint format messages bench clean worker audit

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12 or newer is needed (found %s)" % sys.version.split()[0]'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

messages: install
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install gettext (Debian: apt-get install gettext)" >&2; exit 1; }
	DEBUG=1 $(MANAGE) compilemessages --ignore=.venv -v0

# Links in the demo's mails and loaddemo's login hint point at this server unless SITE_URL is set.
demo: export SITE_URL ?= http://127.0.0.1:$(PORT)
demo: install messages
	DEBUG=1 $(MANAGE) migrate --no-input -v0
	DEBUG=1 $(MANAGE) createcachetable
	DEBUG=1 $(MANAGE) loaddemo
	@echo "Starting the background worker (db_worker) and the web server on http://127.0.0.1:$(PORT)"
	DEBUG=1 $(MANAGE) db_worker --interval 2 & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	DEBUG=1 $(MANAGE) runserver 127.0.0.1:$(PORT)

serve: install
	DEBUG=1 $(MANAGE) runserver 127.0.0.1:$(PORT)

worker: install
	$(MANAGE) db_worker

# The whole suite, browser tests included (Debian chromium is installed by .ci/run; locally they skip without it).
# pytest's own exit code is make's: 5 (no test collected) fails like any other failure.
test: install messages
	TESTING=1 $(BIN)/pytest -p no:cacheprovider --create-db

test-fast: install
	TESTING=1 $(BIN)/pytest -x -q -m "not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(MANAGE) makemigrations --check --dry-run
	TESTING=1 $(BIN)/mypy

# Known vulnerabilities in the pinned dependencies and the installed tree (pip-audit, via scripts/audit.py): fails on
# a finding, and also when no vulnerability service could be reached (the script exits 3: skipped, not passed).
audit: install
	$(BIN)/python scripts/audit.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/import_indicators.py
	$(BIN)/python bench/annual_summary.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
