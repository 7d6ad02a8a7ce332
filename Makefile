# `make run` starts the server (creating .venv on first use); `make test` runs the whole suite; `make lint` runs
# ruff and mypy (mypy's configuration, in pyproject.toml, says which packages it checks).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The interpreter .venv is made with: the distribution's python3 when it is 3.11+ and can make a venv (Debian's
# is linked statically: less CPU per command than a pyenv build, which loads libpython as a shared library;
# see benchmarks/README.md), else the python3 on PATH. `make PYTHON=python3.12 ...` chooses another.
SYSTEM_PYTHON := $(shell /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' \
                   2>/dev/null && echo /usr/bin/python3)
PYTHON ?= $(or $(SYSTEM_PYTHON),python3)

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/redislite-server $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks api
	$(VENV)/bin/ruff format --check src tests benchmarks api
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/benchmark.py $(ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info
