# Two entry points for a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install system-deps run test lint unit integration bench-api clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .

system-deps:
	bash scripts/system-deps.sh

# Installs, migrates the embedded SQLite database under ./data and serves on $(HOST):$(PORT).
run: install
	$(BIN)/clinscribe serve --host $(HOST) --port $(PORT)

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/bandit -q -r src -ll

unit:
	$(BIN)/pytest tests/unit

integration:
	$(BIN)/pytest tests/integration

# Installs everything (system packages too, when root), checks style and types, runs every test.
test: system-deps install lint
	$(BIN)/pytest

bench-api: install
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
