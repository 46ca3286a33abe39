# cartax — every target a user or CI runs. `.ci/run` calls `make test` and nothing else.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SYSTEM_STAMP := $(VENV)/.system-packages
# Debian packages: Chromium for the browser tests, Korean fonts embedded in the PDF notices.
SYSTEM_PACKAGES := chromium fonts-nanum
CARTAX_PORT ?= 8000
export CARTAX_PORT

.PHONY: install run test test-crash check lint types bench lock format clean help

## install: .venv with the locked dependencies and the `cartax` command, and the KRDS design system (idempotent)
install: $(STAMP) $(NODE_STAMP) $(SYSTEM_STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "cartax needs Python 3.11 or later: run 'make PY=python3.11 install'" >&2; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
	$(UV) pip sync --quiet --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# The pages are styled with KRDS (npm `krds-uiux`), served as installed from node_modules/.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null \
		|| { echo "npm is needed to install the KRDS design system: install Node.js 20 or later, then re-run 'make install'" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(NODE_STAMP)

$(SYSTEM_STAMP): Makefile
	@missing=$$(for package in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q 'ok installed' || echo $$package; done); \
	if [ -n "$$missing" ]; then \
		command -v apt-get >/dev/null || { echo "cartax needs these Debian packages: $$missing (install them with your system's package manager)" >&2; exit 1; }; \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		echo "installing Debian packages: $$missing"; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@mkdir -p $(VENV) && touch $@

## run: start the platform with demo data on http://127.0.0.1:$(CARTAX_PORT)
run: install
	$(BIN)/cartax serve --demo

## test: the whole suite (unit, integration on SQLite and PostgreSQL, contract, e2e) plus `make check`
test: install check
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

## test-crash: the payout crash drill (3,000 payouts, workers killed and frozen, PostgreSQL restarted; SEED=n repeats one)
test-crash: install
	$(BIN)/python tests/payout_drill.py --payouts 3000 --workers 4 $(if $(SEED),--seed $(SEED))

## check: lint, format, types, import rules, static security analysis
check: install lint types
	$(BIN)/lint-imports --no-logo --no-cache importlinter.ini
	$(BIN)/bandit -q -c pyproject.toml -r src

lint: install
	$(BIN)/ruff check --no-cache src tests bench
	$(BIN)/ruff format --no-cache --check src tests bench

types: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench: the benchmarks (run by hand; results go to docs/benchmarks.md)
bench: install bench/.venv-openfisca/.installed
	$(BIN)/python bench/run_all.py

# OpenFisca, for the rules benchmark's comparison, in its own virtualenv so its pins stay out of ours.
bench/.venv-openfisca/.installed: bench/openfisca/requirements.txt
	test -x bench/.venv-openfisca/bin/python || $(PY) -m venv bench/.venv-openfisca
	bench/.venv-openfisca/bin/python -m pip install --quiet --disable-pip-version-check -r bench/openfisca/requirements.txt
	touch $@

## lock: re-resolve requirements.lock from pyproject.toml
lock:
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
	$(UV) pip compile --quiet --python-version 3.11 --extra dev pyproject.toml -o requirements.lock

## clean: remove the environment, the installed design system and the caches
clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache

## help: this list
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'
