# One command per chore; the same targets locally and in CI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# `make serve` installs only what serving needs; `make test` adds the test extra.
SERVE_STAMP := $(VENV)/.installed-serve
# Tests run on pytest-xdist workers, one more than the cores: many tests wait on a subprocess,
# a socket or a browser, and the extra worker runs meanwhile (2 cores, one quarter of the
# suite, two interleaved rounds on a shared machine: -n 2 122 and 87 s wall, -n 3 102 and
# 70 s, -n 4 106 and 122 s; CPU -n 3 about 6 % over -n 2, -n 4 about 30 %). worksteal: a
# worker that is done takes tests from a busy one, so the slow subprocess tests do not leave
# a core idle at the end. PYTEST_ARGS="-n 0" runs them in one process.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(len(os.sched_getaffinity(0)) + 1)" 2>/dev/null || echo auto)
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist worksteal
# The tests keep Python's bytecode cache (and pytest's rewritten test modules) between runs
# even where the environment turns writing it off (PYTHONDONTWRITEBYTECODE, as container
# images often do): without it every xdist worker compiles the package and rewrites every
# test module again (collection 4.4 -> 1.9 s CPU per worker, measured), and so does every
# Python the tests start. The files go to __pycache__ folders, which git ignores.
# TEST_ENV= keeps the environment as it is.
TEST_ENV ?= PYTHONDONTWRITEBYTECODE=

.PHONY: serve test lint bench soak schemathesis clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $(SERVE_STAMP)

$(SERVE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(SERVE_STAMP)

## Install what serving needs, then serve the bundled default world on 127.0.0.1:8080
## (ARGS="--port 9000" ...).
serve: $(SERVE_STAMP)
	$(BIN)/mockserver serve $(ARGS)

## Install, lint, check the layers (import-linter) and the types (mypy --strict), then run
## the whole test suite.
test: $(STAMP)
	$(BIN)/ruff check mockserver tests benchmarks examples
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mockserver tests benchmarks examples
	$(BIN)/ruff format --check mockserver tests benchmarks examples
	$(BIN)/lint-imports
	$(BIN)/mypy

## Benchmarks: CPU time per request against raw Starlette, start-up, memory (benchmarks/README.md).
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) \
		|| (echo "bench needs wrk (apt-get install wrk)"; exit 1)
	$(BIN)/python -m benchmarks.run

## A mixed load against a served instance for SOAK_SECONDS (default 600), with a flapping
## webhook receiver and 1 % hostile input; fails on a 5xx, a lost downlink, RSS growth or
## a p99 that doubles (not part of make test). SOAK_YAML_BOMB=0 leaves the YAML bomb out.
soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak

## A longer schemathesis run against every bundled spec (make test runs a short one).
schemathesis: $(STAMP)
	SCHEMATHESIS_EXAMPLES=500 $(BIN)/python -m pytest tests/test_schemathesis.py -q

clean:
	rm -rf $(VENV) dist build *.egg-info reports
