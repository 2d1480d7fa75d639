# The two commands of the README: `make site` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: site test golden clean

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
	rm -rf tests/golden/sample/pagefind  # Pagefind's own output: checked by the search tests, not reviewed

clean:
	rm -rf $(VENV) public .pytest_cache
