# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: run test check lint format typecheck pytest bench chromium clean help

help:
	@echo "make run    - install (into .venv) and start the service on http://127.0.0.1:8756"
	@echo "make test   - install test needs (Chromium included) and run lint, types and the whole suite"
	@echo "make bench  - run the benchmarks under benchmarks/ and print their figures (ONLY='word ...' picks some)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP)
	$(BIN)/mhc serve

chromium:
	@scripts/ensure-chromium.sh

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

pytest: $(DEV_STAMP) chromium
	$(BIN)/pytest

check: lint typecheck pytest

test: check

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks $(ONLY)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .bench-cache
