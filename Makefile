# Tandem — developer entry points.
#
# The two commands a user needs (everything else is for maintainers):
#   make run    create .venv on first use, seed demo data if the database is empty,
#               serve the API on http://127.0.0.1:8000
#   make test   create .venv on first use, run the test suite (set TEST_DATABASE_URL
#               to use a running PostgreSQL server; otherwise an embedded one is used)
#
# Needs only Python 3.11+ and network access to PyPI: no uv, PostgreSQL or Docker.

PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -q
# Extra arguments for `make lock`, e.g. `make lock LOCK_ARGS=--upgrade`
# (by default uv keeps the versions already pinned in the lock files).
LOCK_ARGS ?=
# uv version used by `make lock` (installed into a throwaway venv); pinned so
# that regenerating the lock files gives the same output on every machine.
UV_VERSION ?= 0.13.9

VENV := .venv
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Installs come from the lock files alone: a machine-wide pip constraint file
# (pip.conf "constraint") is replaced by an empty one. It has to be /dev/null:
# pip ignores an empty PIP_CONSTRAINT and would keep the pip.conf value.
PIP := PIP_CONSTRAINT=/dev/null PIP_NO_INPUT=1 $(VENV_PY) -m pip

.DEFAULT_GOAL := help
.PHONY: help run test schema lock clean

help:
	@echo "make run     install (first time), seed demo data if empty, serve on http://$(HOST):$(PORT)"
	@echo "make test    install (first time), run the tests (PYTEST_ARGS='$(PYTEST_ARGS)'; TEST_DATABASE_URL optional)"
	@echo "make schema  print the GraphQL schema (SDL)"
	@echo "make lock    regenerate requirements.lock and requirements-dev.lock from pyproject.toml"
	@echo "make clean   remove .venv and .data"

# The virtualenv, rebuilt in place whenever the lock files or pyproject.toml change.
$(STAMP): requirements-dev.lock requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Tandem needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Use e.g. make PYTHON=python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes -r requirements-dev.lock
	$(PIP) install --no-deps -e .
	@touch $@

run: $(STAMP)
	$(VENV_PY) main.py seed-demo --if-empty
	$(VENV_PY) main.py serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(VENV_PY) -m pytest $(PYTEST_ARGS)

schema: $(STAMP)
	@$(VENV_PY) main.py schema

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
