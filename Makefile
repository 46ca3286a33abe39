# cartax — every target a user or CI runs. `.ci/run` calls `make test` and nothing else.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
CARTAX_PORT ?= 8000
export CARTAX_PORT

.PHONY: install run test check lint types unit bench lock format clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
	$(UV) pip sync --quiet --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

## install: create .venv with the locked dependencies and the `cartax` command (idempotent)
install: $(STAMP)

## run: start the platform with demo data on http://127.0.0.1:$(CARTAX_PORT)
run: install
	$(BIN)/cartax serve --demo

## test: the whole suite (unit, integration on SQLite and PostgreSQL, contract, e2e) plus `make check`
test: install check
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

## check: lint, format, types, import rules, static security analysis
check: install lint types
	$(BIN)/lint-imports --config importlinter.ini
	$(BIN)/bandit -q -c pyproject.toml -r src

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench: the benchmarks (run by hand; results go to docs/benchmarks.md)
bench: install
	$(BIN)/python bench/run_all.py

## lock: re-resolve requirements.lock from pyproject.toml
lock:
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
	$(UV) pip compile --quiet --python-version 3.11 --extra dev pyproject.toml -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
