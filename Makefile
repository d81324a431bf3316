# civicgrid — `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS := src/civicgrid/web/static/vendor/.stamp
PYTEST_ARGS ?=

.PHONY: run test lint typecheck install assets browser migrate demo worker test-postgres clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(ASSETS): package.json package-lock.json scripts/copy_assets.py
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/copy_assets.py
	touch $(ASSETS)

assets: $(STAMP) $(ASSETS)

# Browser tests drive Debian's Chromium; install it when we can (root + apt), else they skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium not found: browser tests will be skipped (apt-get install chromium)"; fi; }

migrate: install
	$(BIN)/civicgrid migrate

demo: install
	$(BIN)/civicgrid demo --seed 42 --scale small

run: install assets
	$(BIN)/civicgrid migrate
	$(BIN)/civicgrid demo --seed 42 --scale small --if-empty
	$(BIN)/civicgrid serve

worker: install
	$(BIN)/civicgrid worker

lint: install
	$(BIN)/ruff format --check src tests benchmarks migrations scripts
	$(BIN)/ruff check src tests benchmarks migrations scripts

typecheck: install
	$(BIN)/mypy src tests benchmarks scripts
	$(BIN)/lint-imports

test: install assets browser lint typecheck
	$(BIN)/pytest -m "not postgres" -n 2 $(PYTEST_ARGS)

test-postgres: install assets browser
	$(BIN)/pytest -m postgres -n 2 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules src/civicgrid/web/static/vendor .mypy_cache .ruff_cache .pytest_cache
