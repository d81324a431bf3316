# civicgrid — `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RUN_STAMP := $(VENV)/.run-stamp
ASSETS := src/civicgrid/web/static/vendor/.stamp
PYTEST_ARGS ?=

.PHONY: run test test-unit lint typecheck install assets browser migrate demo worker test-postgres clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# `make run` needs only the runtime packages (the dev tools come with `make install`/`make test`),
# so a fresh clone is served sooner; see docs/operations.md.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e .
	touch $(RUN_STAMP)

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

# The demo city with its recent weeks is built first and served; the months of history before
# them are built by a background process while the pages show its progress.
run: $(RUN_STAMP) $(ASSETS)
	$(BIN)/civicgrid demo --seed 42 --scale small --if-empty --history background
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

# Pure rules only (tests/unit: no database, no server, no browser): the quick loop while coding.
test-unit: install
	$(BIN)/pytest tests/unit -n 2 -q $(PYTEST_ARGS)

test-postgres: install assets browser
	$(BIN)/pytest -m postgres -n 2 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules src/civicgrid/web/static/vendor .mypy_cache .ruff_cache .pytest_cache
