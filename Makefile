# huoke developer commands. Each target creates .venv and installs what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DEMO_DIR ?= huoke-demo
DEMO_CUSTOMERS ?= 20000

.PHONY: demo test lint typecheck imports unit pytest bench bench-segments bench-messaging clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	HUOKE_PROFILE=demo $(BIN)/huoke --data-dir $(DEMO_DIR) demo --customers $(DEMO_CUSTOMERS) --no-serve --fresh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadgroup  # tests of one xdist_group (the Spark ones) share a worker and its session

test: lint typecheck imports pytest

bench: $(STAMP)
	$(BIN)/python -m bench.import_bench

bench-messaging: $(STAMP)
	$(BIN)/python -m bench.messaging_bench --messages 20000 --backends sqlite,postgres
	$(BIN)/python -m bench.messaging_bench --messages 10000 --backends sqlite,postgres --rate 500
	$(BIN)/python -m bench.policy_bench

bench-segments: $(STAMP)
	$(BIN)/python -m bench.segments_bench --customers 20000 --transactions 2000000 --events 1000000

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
