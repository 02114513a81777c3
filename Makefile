# stompbox — `make up` runs the whole stack, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONUNBUFFERED := 1

.PHONY: install up test lint unit integration browser bench soak clean

install:
	@scripts/install.sh

up: install
	$(VENV)/bin/stompbox up

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: install lint
	$(PY) -m pytest -q -p no:cacheprovider tests

unit: install
	$(PY) -m pytest -q tests/unit

integration: install
	$(PY) -m pytest -q tests/integration

browser: install
	$(PY) -m pytest -q tests/browser

bench: install
	$(PY) -m bench

soak: install
	$(PY) -m bench.probe
	$(PY) -m bench.soak

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
