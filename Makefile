# Two commands do everything on a fresh machine (Python 3.11+ with venv):
#   make run    install into .venv and start the bot
#   make test   install with dev extras into .venv and run the tests
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: install install-dev run ingest test lint bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@test -f sources.toml || cp sources.example.toml sources.toml
	$(PY) -m bot run

ingest: install
	@test -f sources.toml || cp sources.example.toml sources.toml
	$(PY) -m bot ingest

test: install-dev
	$(PY) -m pytest

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

SHARED ?= ../shared
bench: install-dev
	$(PY) -m bench.bench_parse $(SHARED)/corpus/feeds/real
	$(PY) -m bench.bench_ingest $(SHARED)/corpus/feeds/real
	$(PY) -m bench.bench_tagging
	$(PY) -m bench.bench_bot
	$(PY) -m bench.bench_fanout
	$(PY) -m bench.bench_cli $(SHARED)/corpus/feeds/real
	$(PY) -m bench.bench_sender
