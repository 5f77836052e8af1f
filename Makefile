# The two commands: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_CASES ?= 1000000

.PHONY: install static browsers demo test bench serve check audit fuzz load

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed static

## static: front-end libraries from npm (package-lock.json) copied into static/vendor with their licences
## (devDependencies such as axe-core, for tests/browser/test_accessibility.py, stay in node_modules)
VENDOR := static/vendor
$(VENDOR)/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/htmx.org/LICENSE $(VENDOR)/htmx.LICENSE
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chart.umd.min.js
	cp node_modules/chart.js/LICENSE.md $(VENDOR)/chart.js.LICENSE.md
	touch $@

static: $(VENDOR)/.built

## browsers: Debian's chromium for the browser tests (skipped with a printed reason where it cannot be installed)
CHROMIUM ?= /usr/bin/chromium
browsers:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null \
	      || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null) \
	      || echo "browsers: could not install Debian's chromium; the browser tests will be skipped"; \
	  else echo "browsers: no apt-get as root here; the browser tests will be skipped unless $(CHROMIUM) exists"; fi; \
	fi

## demo: the whole product with demo data on http://127.0.0.1:8000 (SQLite unless DATABASE_URL is set)
demo: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) run_monitoring
	@echo "Serving on http://$(HOST):$(PORT)/ (admin at /admin/, API at /api/docs/); Ctrl-C stops."
	@trap 'kill 0' INT TERM EXIT; \
	  $(MANAGE) run_periodic & \
	  $(MANAGE) runserver --noreload $(HOST):$(PORT)

## audit: bandit (config and reviewed skips in pyproject.toml) and pip-audit of the pinned requirements
## (allow-list .ci/pip-audit-allow.txt; says NOT AUDITED and passes where no vulnerability service answers)
audit: install
	$(BIN)/bandit -r accounts cases risk notifications knowledge servicedesk -c pyproject.toml -q
	$(BIN)/python .ci/pip_audit.py

## test: install and run the whole suite (PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set)
test: install browsers audit
	$(MANAGE) makemigrations --check --dry-run --settings=servicedesk.settings.test
	$(MANAGE) check --settings=servicedesk.settings.test
	$(BIN)/python -m pytest -n 2

## bench: the benchmarks (PostgreSQL: set DATABASE_URL), results as a table
bench: install
	$(BIN)/python -m bench --cases $(BENCH_CASES)

## fuzz: schemathesis against the API schema for every role, FUZZ_EXAMPLES examples per operation, role and mode
FUZZ_EXAMPLES ?= 25
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/security/test_schemathesis.py -n 2

## load: locust, headless, against gunicorn and PostgreSQL (DATABASE_URL, LOAD_USERS, LOAD_TIME); per-endpoint table
load: install
	$(BIN)/python -m bench.load
