# Two commands: `make demo` (run the product on its embedded defaults) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint format worker beat clean browser fuzz faults load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --quiet -e .
	touch $@

# The buyers' client (client/, its own package) is installed too: the tests run it.
$(VENV)/.installed-dev: pyproject.toml client/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --quiet -e '.[dev]' -e client
	touch $@

# The demo's database is an embedded PostgreSQL that manage.py starts (data in var/postgres)
# and stops with the demo. `make demo HOST=0.0.0.0 PORT=8080` serves elsewhere.
demo: $(VENV)/.installed-demo
	$(BIN)/python manage.py demo --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser
# here): installed with apt when missing, through sudo when not root.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
SCREENSHOTS := var/screenshots

browser: $(CHROMIUM)

$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests"
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium fonts-dejavu-core

# exiftool checks that the XMP we write reads back with another implementation than ours.
EXIFTOOL ?= /usr/bin/exiftool

$(EXIFTOOL):
	@echo "Installing Debian's exiftool for the consent-signal tests"
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q libimage-exiftool-perl

test: $(VENV)/.installed-dev lint browser $(EXIFTOOL)
	rm -rf $(SCREENSHOTS)
	@$(BIN)/python -m pytest; status=$$?; \
	echo "Screenshots of the browser tests: $(CURDIR)/$(SCREENSHOTS)/"; exit $$status

# The API fuzzed against its own OpenAPI schema with many more examples than `make test`
# runs (8 per operation and role, derandomized), each run drawing new ones:
# `make fuzz FUZZ_EXAMPLES=1000`.
FUZZ_EXAMPLES ?= 200

fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(BIN)/python -m pytest -p no:cacheprovider -q \
		tests/marketplace/api/test_schema_fuzz.py

# Benchmarks with real processes (gunicorn, a Celery worker on Redis, PostgreSQL); results
# in docs/BENCHMARKS.md. `load`: 50 buyers for 60 s; `faults`: processes killed mid-work.
load: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/load.py

faults: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/faults.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Production processes (configure through the environment first, see the README).
worker: $(VENV)/.installed-demo
	$(BIN)/celery -A config worker --loglevel INFO

beat: $(VENV)/.installed-demo
	$(BIN)/celery -A config beat --loglevel INFO

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
