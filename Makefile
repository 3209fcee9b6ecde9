# README's two commands: `make demo` (set up, load the samples, serve on port 8000) and
# `make test` (set up and run the suite). Everything they need is installed from here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DATA ?= data/demo
PORT ?= 8000

.PHONY: demo test setup system-packages lint typecheck clean opensearch

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

system-packages:
	./scripts/system-packages.sh

demo: setup
	CHM_DATA_DIR=$(DEMO_DATA) $(BIN)/chm-search ingest samples/shared samples/records
	-CHM_DATA_DIR=$(DEMO_DATA) $(BIN)/chm-search translate
	CHM_DATA_DIR=$(DEMO_DATA) $(BIN)/chm-search serve --host 0.0.0.0 --port $(PORT)

# A real OpenSearch node on http://127.0.0.1:9200 (built from Maven Central on first use); Ctrl-C stops it.
opensearch: setup system-packages
	$(BIN)/python -m devservers.opensearch --http-port 9200

test: setup system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
