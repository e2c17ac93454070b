# Two commands: `make demo` (run the product on its embedded defaults) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: demo test lint format worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq chromium

demo: $(VENV)/.installed-demo
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --base-url http://$(HOST):$(PORT)
	@echo "Serving on http://$(HOST):$(PORT)/ (API docs /api/docs/, admin /admin/). Ctrl-C stops."
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev lint $(CHROMIUM)
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Production processes (configure through the environment first, see the README).
worker: $(VENV)/.installed-demo
	$(BIN)/celery -A marketplace worker --loglevel INFO

beat: $(VENV)/.installed-demo
	$(BIN)/celery -A marketplace beat --loglevel INFO

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
