# The two commands: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_CASES ?= 1000000

.PHONY: install demo test bench serve check

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## demo: the whole product with demo data on http://127.0.0.1:8000 (SQLite unless DATABASE_URL is set)
demo: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) run_monitoring
	@echo "Serving on http://$(HOST):$(PORT)/ (admin at /admin/, API at /api/docs/); Ctrl-C stops."
	@trap 'kill 0' INT TERM EXIT; \
	  $(MANAGE) run_periodic & \
	  $(MANAGE) runserver --noreload $(HOST):$(PORT)

## test: install and run the whole suite (PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set)
test: install
	$(MANAGE) makemigrations --check --dry-run --settings=servicedesk.settings.test
	$(MANAGE) check --settings=servicedesk.settings.test
	$(BIN)/python -m pytest -n 2

## bench: the benchmarks (PostgreSQL: set DATABASE_URL), results as a table
bench: install
	$(BIN)/python -m bench --cases $(BENCH_CASES)
