# Two commands set everything up on a fresh machine: `make run` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.stamp-install

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/microcred demo

lint: $(STAMP)
	$(BIN)/ruff check .

# The JS reference implementations the interop tests run (tests/interop).
interop/node_modules/.stamp: interop/package-lock.json
	cd interop && npm ci --no-audit --no-fund
	touch $@

test: $(STAMP) interop/node_modules/.stamp
	scripts/ensure-chromium.sh
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/sign_verify.py --seconds 3

clean:
	rm -rf $(VENV) var
