# The front door: `make serve` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# One stamp per set of extras: `make serve` installs only what serving needs.
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP  := $(VENV)/.installed-test
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: serve test lint bench system-deps venv clean

venv: $(TEST_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(SERVE_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/plangraph serve --host $(HOST) --port $(PORT)

# Debian packages some tests need: rapper to parse the dumps, chromium for the browser test,
# CJK fonts so its screenshots show Chinese, curl for the documentation's examples, Virtuoso as
# a remote SPARQL engine for the backend tests (bench/engines.py starts it on loopback). Installed
# only when missing; when apt-get is impossible the tests that need them skip loudly.
DEBS := raptor2-utils chromium fonts-noto-cjk curl virtuoso-opensource
system-deps:
	@if ! command -v rapper >/dev/null || ! command -v chromium >/dev/null || ! command -v curl >/dev/null \
	    || ! command -v virtuoso-t >/dev/null \
	    || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBS) >/dev/null) \
	      || echo "WARNING: apt-get could not install $(DEBS); those tests will skip"; \
	  else echo "WARNING: not root or no apt-get; tests needing rapper/chromium/virtuoso will skip"; fi; \
	fi

test: $(TEST_STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -rs

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(TEST_STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/sparql_bench.py
	$(BIN)/python bench/validate_bench.py
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/diff_bench.py

clean:
	rm -rf $(VENV) var test-output
