# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make run   install, migrate, load demo data, serve on http://127.0.0.1:8000
#   make test  install with the dev extra, run the whole suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test install install-dev lint format messages migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp files make a second `make run` skip pip when pyproject.toml has not changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
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

test: install-dev
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || \
		echo "NOTE: Chromium is not installed: the browser tests (tests/browser) will be SKIPPED. Install it with: apt-get install chromium"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
