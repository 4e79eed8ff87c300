# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make run   install, migrate, load demo data, serve on http://127.0.0.1:8000
#   make test  install with the dev extra, run the whole suite
# and for the inner loop and a production-like run:
#   make check lint, the import contract, the fast tests (no browser, nothing slow)
#   make serve gunicorn, a Celery worker and beat (Procfile, honcho) on PostgreSQL and Redis
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000
PYTEST_ARGS ?=
# pytest-xdist: one worker per core, each with its own test database, live server and Chromium.
# A file's tests stay on one worker (tests/conftest.py groups them; the browser flows by size),
# and the groups go out longest first in the order tests/conftest.py sorts them (not by count).
# TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
XDIST := $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder)
# The test processes (pytest, its workers, the servers and scripts they start) keep compiled
# bytecode in __pycache__ even where the environment sets PYTHONDONTWRITEBYTECODE: otherwise
# each compiles the project and its tests again at start (about 3.5 s of CPU per process).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

.PHONY: run serve test check install install-dev lint format messages migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip runs only when pyproject.toml is newer than the stamp file. It installs the dependencies
# pyproject.toml lists and never the project itself (the code runs from this folder): an
# editable reinstall rewrites a module every Python process imports at start, so a `make test`
# beside `make run` would restart the server mid-request. Already-installed packages are left
# untouched.
REQUIREMENTS = $(BIN)/python -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + [d for x in sys.argv[1:] for d in p["optional-dependencies"][x]]))'

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(REQUIREMENTS) > $(VENV)/requirements.txt
	$(BIN)/pip install --quiet -r $(VENV)/requirements.txt
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(REQUIREMENTS) dev > $(VENV)/requirements-dev.txt
	$(BIN)/pip install --quiet -r $(VENV)/requirements-dev.txt
	touch $(VENV)/.installed $@

# A local .env for development: DEBUG on and a random secret key. Never used in production.
.env:
	@printf 'DEBUG=true\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "wrote .env (DEBUG=true, random SECRET_KEY)"

install: $(VENV)/.installed .env
install-dev: $(VENV)/.installed-dev .env

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py runserver $(HOST)

# The production processes on this machine (docs/operations.md): settings from .env, which must
# name PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); LOCAL_HTTP=true there for plain HTTP.
serve: $(VENV)/.installed
	@test -f .env || { echo "make serve reads .env: cp .env.example .env, then set SECRET_KEY, DATABASE_URL, REDIS_URL and LOCAL_HTTP=true"; exit 1; }
	@DJANGO_SETTINGS_MODULE=partner_portal.settings $(BIN)/python -c 'import django; django.setup(); from django.conf import settings as s; import sys; sys.exit(None if s.DATABASES["default"]["ENGINE"].endswith("postgresql") and s.CELERY_BROKER_URL else "make serve runs on PostgreSQL and Redis: set DATABASE_URL=postgres://... and REDIS_URL=redis://... in .env")'
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port $(lastword $(subst :, ,$(HOST)))

test: install-dev
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || \
		echo "NOTE: Chromium is not installed: the browser tests (tests/browser) will be SKIPPED. Install it with: apt-get install chromium"
	$(PYTEST) $(XDIST) $(PYTEST_ARGS)

# The inner loop: lint, the import contract and the fast tests (no browser, nothing marked slow).
check: lint
	$(PYTEST) $(XDIST) -m "not browser and not slow" -q $(PYTEST_ARGS)

# ruff, then the floors: an app imports only the apps below it (the contract in pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Needs GNU gettext (msgfmt); the compiled .mo files are committed so nobody else does.
messages: install-dev
	$(BIN)/python manage.py makemessages -l vi -l en --no-location --ignore=.venv --ignore=bench --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) .env
