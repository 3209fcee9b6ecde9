# README's two commands: `make demo` (set up, load the samples, serve on port 8000) and
# `make test` (set up and run the suite). Everything they need is installed from here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DATA ?= data/demo
PORT ?= 8000

.PHONY: demo test setup system-packages lint typecheck clean opensearch postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Tool and library versions come from constraints-dev.txt, so that a new release of ruff, mypy,
# pytest or a library cannot change what `make test` checks; `make update-locks` moves them on.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints-dev.txt
	$(BIN)/pip install --quiet -c constraints-dev.txt -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

system-packages:
	./scripts/system-packages.sh

demo: setup
	@# First, an index built by an older version of the analysis is rebuilt from the catalogue
	@# (ingest refuses to write into it); on a fresh machine this builds the empty index.
	CHM_DATA_DIR=$(DEMO_DATA) $(BIN)/chm-search health >/dev/null 2>&1 || CHM_DATA_DIR=$(DEMO_DATA) $(BIN)/chm-search reindex
	CHM_DATA_DIR=$(DEMO_DATA) $(BIN)/chm-search ingest samples/shared samples/records
	-CHM_DATA_DIR=$(DEMO_DATA) $(BIN)/chm-search translate
	CHM_DATA_DIR=$(DEMO_DATA) $(BIN)/chm-search serve --host 0.0.0.0 --port $(PORT)

# A real OpenSearch node on http://127.0.0.1:9200 (built from Maven Central on first use); Ctrl-C stops it.
opensearch: setup system-packages
	$(BIN)/python -m devservers.opensearch --http-port 9200

# A throwaway PostgreSQL on loopback, the catalogue migrated; prints CHM_CATALOGUE_URL; Ctrl-C stops it.
postgres: setup system-packages
	$(BIN)/python -m devservers.postgres

# axe-core for the browser tests' accessibility checks, from npm, pinned by devtools/axe/package-lock.json.
AXE := devtools/axe/node_modules/axe-core/axe.min.js
$(AXE): devtools/axe/package.json devtools/axe/package-lock.json
	command -v npm >/dev/null || ./scripts/system-packages.sh npm
	npm ci --prefix devtools/axe --no-audit --no-fund --silent
	touch $@

# The cards' country flags: flag-icons from npm (pinned by devtools/flags/package-lock.json), its
# SVGs copied into search_api/static/flags by devtools/vendor_flags.py. The copies are committed
# (the server needs no npm); run this after moving the pin.
.PHONY: flags
flags: setup
	command -v npm >/dev/null || ./scripts/system-packages.sh npm
	npm ci --prefix devtools/flags --no-audit --no-fund --silent
	$(BIN)/python devtools/vendor_flags.py

# pytest-xdist workers (one per core on the 2-core machines); each starts the session servers its
# tests use; the 3-node cluster's tests are one xdist_group. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: setup system-packages $(AXE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# constraints-dev.txt afresh: the newest versions pyproject.toml allows (every extra), resolved in
# a scratch venv. Run `make test` on the result before committing it.
LOCK_EXTRAS ?= dev,postgres
.PHONY: update-locks
update-locks:
	set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	$(PYTHON) -m venv "$$scratch/venv"; \
	"$$scratch/venv/bin/pip" install --quiet --upgrade pip; \
	"$$scratch/venv/bin/pip" install --quiet -e '.[$(LOCK_EXTRAS)]'; \
	{ echo "# Exact versions for the development environment: \`make setup\` installs with -c constraints-dev.txt."; \
	  echo "# \`make update-locks\` rewrites this file with the newest versions pyproject.toml allows (extras $(LOCK_EXTRAS))."; \
	  "$$scratch/venv/bin/pip" freeze --exclude-editable; } > "$$scratch/constraints-dev.txt"; \
	mv "$$scratch/constraints-dev.txt" constraints-dev.txt

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
