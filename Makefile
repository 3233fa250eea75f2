# One task runner for everything the README mentions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
# pytest-xdist workers: one per core (each has its own test database and media folder); work stealing,
# so that an idle worker takes tests queued behind the long browser tests of the other
PYTEST_WORKERS ?= auto
PYTEST_DIST ?= worksteal

.PHONY: run dev test install install-dev migrate demo test-sqlite test-postgres lint format worker beat vendor check-deploy clean

## Install everything and start the app on the embedded default (SQLite, tasks in-process) with the demo.
run: install migrate demo
	@echo ""
	@echo "清廉村居测评平台已启动：http://$(HOST):$(PORT)/   （Ctrl+C 停止）"
	$(BIN)/python manage.py serve $(HOST):$(PORT)

## Developers: Django's auto-reloading development server on the same database.
dev: install migrate
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Install everything and run the whole test suite on SQLite, then on PostgreSQL when one is reachable.
test: install-dev
	mkdir -p var
	$(BIN)/python manage.py prepare_fonts
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	./scripts/install-system-deps.sh run
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	./scripts/install-system-deps.sh test
	$(BIN)/pip install -q -e ".[dev]"

migrate:
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py prepare_fonts

demo:
	$(BIN)/python manage.py seed_demo

test-sqlite:
	@echo "== 测试：SQLite =="
	env -u DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST)

# CI sets QL_REQUIRE_POSTGRES=1 so a missing server fails the run instead of being skipped.
test-postgres:
	@if $(BIN)/python scripts/db_reachable.py "$(PG_TEST_URL)"; then \
		echo "== 测试：PostgreSQL ($(PG_TEST_URL)) =="; \
		DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST); \
	elif [ "$${QL_REQUIRE_POSTGRES:-0}" = "1" ]; then \
		echo "PostgreSQL 不可达：$(PG_TEST_URL)" >&2; exit 1; \
	else \
		echo "== 跳过 PostgreSQL 测试：$(PG_TEST_URL) 不可达 =="; \
	fi

## Lint gate (CI runs it): ruff lint, ruff format check, and the layer contract (import-linter).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker:
	$(BIN)/celery -A config worker -l info

beat:
	$(BIN)/celery -A config beat -l info

vendor:
	./scripts/vendor_static.sh

check-deploy:
	DJANGO_SETTINGS_MODULE=config.settings.production \
	DJANGO_SECRET_KEY=$$($(BIN)/python -c "import secrets;print(secrets.token_urlsafe(64))") \
	DJANGO_ALLOWED_HOSTS=qinglian.example.invalid \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
