# Two commands do everything on a bare machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format install migrate demo worker bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p var
	@$(PY) manage.py migrate --noinput -v 0

demo: migrate
	@$(PY) manage.py seed_demo

# Serves the admin and runs a task worker beside it; Ctrl-C stops both.
run: demo
	@echo "Admin: http://$(HOST):$(PORT)/admin/"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker --interval 1 >var/worker.log 2>&1 & \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: migrate
	@$(PY) manage.py db_worker

test: install
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: install
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
