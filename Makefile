# Two commands set everything up on a fresh machine: `make run` and `make test`.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
# What running needs (`pip install -e .`) and what testing adds (`.[test]`), each reinstalled
# when the dependency list changes. The test install includes the run install.
RUN_STAMP := $(VENV)/.stamp-run
STAMP     := $(VENV)/.stamp-install

.PHONY: run test lint bench fuzz soak contract clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(RUN_STAMP) $(STAMP)

# The issuer service on the embedded default (SQLite in ./var): migrates, creates the first
# issuer, its keys and an admin API key on first start, loads the demo catalog, prints the URL.
run: $(RUN_STAMP)
	$(BIN)/microcred serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The JS reference implementations the interop tests run (tests/interop).
interop/node_modules/.stamp: interop/package-lock.json
	cd interop && npm ci --no-audit --no-fund
	touch $@

test: $(STAMP) interop/node_modules/.stamp
	scripts/ensure-chromium.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/sign_verify.py --seconds 3

# Coverage-guided fuzzing of every parser (bench/fuzz/fuzz.py: atheris, one core, each input
# bounded in time and memory), FUZZ_SECONDS per target; findings land in var/fuzz/.
FUZZ_SECONDS ?= 120
fuzz: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,soak]'
	$(BIN)/python bench/fuzz/fuzz.py --all --seconds $(FUZZ_SECONDS)

# Long runs that are not part of `make test`: one command per line.
soak: $(STAMP)
	$(BIN)/python bench/tamper.py
	$(MAKE) fuzz

# The long contract run: schemathesis against /openapi.json, in process, every phase, on SQLite
# and PostgreSQL (>= 5,000 requests each; 0 server errors, 0 schema violations, or it fails).
contract: $(STAMP)
	$(BIN)/python bench/schemathesis_soak.py --backend sqlite --backend postgresql

clean:
	rm -rf $(VENV) var
