# Two commands set everything up on a fresh machine: `make run` and `make test`.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
# What running needs (`pip install -e .`) and what testing adds (`.[test]`), each reinstalled
# when the dependency list changes. The test install includes the run install.
RUN_STAMP := $(VENV)/.stamp-run
STAMP     := $(VENV)/.stamp-install

.PHONY: run test lint i18n i18n-init bench fuzz soak contract clean

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

# Translation catalogs (microcred/catalogs.py): extract every marked sentence of the code and
# templates to var/i18n/messages.pot, then merge it into microcred/locales/*/LC_MESSAGES/messages.po
# (new sentences untranslated, changed ones fuzzy: tests/test_i18n_catalogs.py names them). The
# .po files are the catalogs; they are compiled in memory when first used, no .mo is kept.
i18n: $(STAMP)
	$(BIN)/python -m microcred.catalogs extract
	$(BIN)/python -m microcred.catalogs update

# A new language: make i18n-init LOCALE=fr (then translate its messages.po).
i18n-init: $(STAMP)
	test -n "$(LOCALE)" || { echo "usage: make i18n-init LOCALE=fr" >&2; exit 64; }
	$(BIN)/python -m microcred.catalogs extract
	$(BIN)/python -m microcred.catalogs init $(LOCALE)

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
