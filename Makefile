# Harbour Single Window — everything a newcomer runs. Only Python 3.11+ is needed for `make run`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test worker bench lint install install-test browser messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Serve the portal on http://$(HOST):$(PORT) with SQLite and in-process tasks, after loading demo data.
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_reference_data
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ — stop with Ctrl-C"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## The whole test suite. Under CI=true it requires PostgreSQL, Redis, a Celery worker and Chromium.
test: install-test browser
	@eval "$$($(BIN)/python tests/service_env.py)" && $(BIN)/pytest $(PYTEST_ARGS)

## Chromium for the browser tests: installed from Debian's packages under CI, reported otherwise.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$CI" = "true" ]; then \
		echo "Installing chromium for the browser tests"; \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || { echo "Could not install chromium"; exit 1; }; \
	else echo "chromium is not installed: browser tests will be skipped (apt-get install chromium)"; fi

## A Celery worker with the beat scheduler against CELERY_BROKER_URL.
worker: install
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) first"; exit 1; }
	$(BIN)/celery -A portal worker --beat --loglevel=INFO --concurrency=$${CELERY_CONCURRENCY:-2} \
		--schedule=$${CELERY_BEAT_SCHEDULE_FILE:-.celerybeat-schedule}

## Benchmarks under tests/benchmarks (not part of `make test`); writes docs/BENCHMARKS.md.
bench: install-test
	@eval "$$($(BIN)/python tests/service_env.py)" && $(BIN)/python -m tests.benchmarks

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check portal declarations inspections finance tests

## Recompile the translations after editing locale/*/LC_MESSAGES/django.po (needs gettext).
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans -l zh_Hant --no-obsolete --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
