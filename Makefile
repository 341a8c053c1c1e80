# GVI tracker — everything a newcomer needs is `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PICCOLO_CONF := gvi.piccolo_conf

.PHONY: run test test-sqlite test-postgres lint fmt bench fuzz migration screenshots clean help

help:
	@echo "make run        set up (venv, install, migrate, demo data) and serve on http://127.0.0.1:8000 (GVI_HOST, GVI_PORT)"
	@echo "make test       install dev dependencies and run the whole suite (SQLite, and PostgreSQL if GVI_TEST_POSTGRES_URL is set)"
	@echo "make lint       ruff and mypy --strict"
	@echo "make bench      benchmarks: each figure beside its baseline and bound"
	@echo "make fuzz       schemathesis against the API per role, signed in and with a bearer token, 50 examples per operation (loopback; FUZZ_EXAMPLES, FUZZ_TIMEOUT)"
	@echo "make migration  write a migration for changed table classes"
	@echo "make screenshots  PNGs of the main pages (demo data, headless chromium) into docs/screenshots/"

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gvi init-key
	$(BIN)/gvi migrate
	$(BIN)/gvi seed --scale demo
	@echo ""
	@$(BIN)/python -c 'from gvi.settings import get_settings as g; s = g(); print(f"Serving on http://{s.host}:{s.port}, with a job worker beside it  (Ctrl-C stops both)")'
	GVI_SECURE_COOKIES=$${GVI_SECURE_COOKIES:-false} $(BIN)/gvi serve

# With PostgreSQL the two engines' suites run side by side (each waits on its
# database and browser far more than on the CPU): about the time of the longer
# one instead of the sum. Each keeps its own Redis database
# (GVI_TEST_REDIS_URL_POSTGRES, else the SQLite run's number minus one) and its
# output is printed whole when it ends.
test: $(STAMP)
	@if [ -n "$$GVI_TEST_POSTGRES_URL" ]; then \
		$(BIN)/python -m tests.vendor && \
		$(MAKE) --no-print-directory -k -j2 --output-sync=target test-sqlite test-postgres; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but GVI_TEST_POSTGRES_URL is not set: the PostgreSQL run must not be skipped" >&2; exit 1; \
	else \
		$(MAKE) --no-print-directory test-sqlite && \
		echo "PostgreSQL run skipped: set GVI_TEST_POSTGRES_URL=postgres://127.0.0.1:5432/test to include it"; \
	fi

test-sqlite: $(STAMP)
	@echo "=== test suite on SQLite ==="
	GVI_TEST_ENGINE=sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "=== test suite on PostgreSQL ==="
	GVI_TEST_ENGINE=postgres GVI_TEST_REDIS_URL="$$($(BIN)/python -m tests.redis_url)" $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check gvi tests seeds tools
	$(BIN)/ruff format --check gvi tests seeds tools
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format gvi tests seeds tools
	$(BIN)/ruff check --fix gvi tests seeds tools

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# The suite runs the same fuzz with 4 examples per operation; this is the long run.
# The server binds 127.0.0.1 only. GVI_TEST_ENGINE=postgres (with
# GVI_TEST_POSTGRES_URL) fuzzes PostgreSQL instead.
FUZZ_EXAMPLES ?= 50
FUZZ_TIMEOUT ?= 3600
fuzz: $(STAMP)
	GVI_TEST_ENGINE=$${GVI_TEST_ENGINE:-sqlite} GVI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		timeout $(FUZZ_TIMEOUT) $(BIN)/pytest tests/fuzz -s -q -p no:cacheprovider

migration: $(STAMP)
	GVI_DATABASE_URL=sqlite:///var/migration-scratch.sqlite3 $(BIN)/piccolo migrations forwards gvi
	GVI_DATABASE_URL=sqlite:///var/migration-scratch.sqlite3 $(BIN)/piccolo migrations new gvi --auto

screenshots: $(STAMP)
	$(BIN)/python -m tools.screenshots

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
