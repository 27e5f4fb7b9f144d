# `make run` sets up and runs the site on SQLite; `make test` runs lint and the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD := kloudsso-demo-2026

OIDC_IDP := tests/idp/oidc
# The test IdPs are real software; without node the flow tests that need them are skipped with the reason.
IDP_DEPS := $(if $(shell command -v npm 2>/dev/null),$(OIDC_IDP)/node_modules/.package-lock.json,)

.PHONY: run test lint format lock try-sso bench

$(BIN)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

run: $(BIN)/.installed
	bash scripts/system-packages.sh run
	$(BIN)/python scripts/write_dev_env.py
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python manage.py createorg --name "Acme" --slug acme --owner-email owner@acme.test --password $(DEMO_PASSWORD) --plan paid
	$(BIN)/python manage.py createorg --name "Globex" --slug globex --owner-email owner@acme.test --plan free
	@echo ""
	@echo "  KloudSSO is starting at http://127.0.0.1:8000/"
	@echo "  Sign in at http://127.0.0.1:8000/login/ as owner@acme.test with password $(DEMO_PASSWORD)"
	@echo "  Background tasks: a worker (db_worker) and the scheduler (run_scheduler) run beside it; Ctrl-C stops all three."
	@echo ""
	$(BIN)/python scripts/run_dev.py 127.0.0.1:8000

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(OIDC_IDP)/node_modules/.package-lock.json: $(OIDC_IDP)/package-lock.json
	npm ci --prefix $(OIDC_IDP) --no-audit --no-fund --loglevel=error

test: lint $(IDP_DEPS)
	bash scripts/system-packages.sh test
	$(BIN)/pytest

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --extra bench --strip-extras -o requirements.lock pyproject.toml

try-sso: $(BIN)/.installed $(IDP_DEPS)
	bash scripts/system-packages.sh test
	$(BIN)/python scripts/try_sso.py

# Sign-in throughput, latency, SQL statements and memory under gunicorn; writes bench/RESULTS.md (bench/run.py).
# SQLite by default; BENCH_DATABASE_URL=postgres://... BENCH_CACHE_URL=redis://... for PostgreSQL + Redis.
bench: $(BIN)/.installed
	bash scripts/system-packages.sh bench  # xmlsec1, for stock djangosaml2
	$(BIN)/python -m bench.run
