# Every target builds what it needs: a fresh machine only needs Python 3.11+ (and Node 20 for the
# conformance tests and the ingest benchmark, which install their npm packages themselves; and the
# PostgreSQL server binaries, Debian's postgresql-15, for the PostgreSQL tests and b_pgdriver: the
# tests start a throwaway cluster themselves, and .ci/run installs the package when it is absent).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NODE_DIR := tests/node
STAMP := $(VENV)/.stamp-install

.PHONY: demo test lint bench node venv clean run

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "onpbx-bot needs Python 3.11+")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(NODE_DIR)/node_modules/.stamp: $(NODE_DIR)/package.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(NODE_DIR) && npm install --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.stamp; \
	else echo "npm not found: Node conformance tests will skip (and fail under CI=true)"; fi

node: $(NODE_DIR)/node_modules/.stamp

# `make demo API=3` runs the same session on WebSockets API 3.0
demo: $(STAMP)
	$(VENV)/bin/onpbx-bot demo $(if $(API),--api $(API)) $(if $(FLOW),--scenario $(FLOW))

run: $(STAMP)
	$(VENV)/bin/onpbx-bot run

test: $(STAMP) node
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check bot adapters storage tests bench
	$(VENV)/bin/mypy

bench: $(STAMP) node
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(NODE_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache
