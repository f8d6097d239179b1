# Everyday commands. `make demo` runs the product; `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: bootstrap demo test lint format typecheck services-stop stop clean bench

bootstrap: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml deploy/bootstrap.sh
	bash deploy/bootstrap.sh

demo: bootstrap
	$(PY) manage.py setup --demo
	$(VENV)/bin/honcho -f deploy/Procfile.dev -d . start

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: bootstrap
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: bootstrap
	$(VENV)/bin/mypy apps

test: bootstrap lint typecheck
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	# A fresh test database each run: browser, worker and race tests commit rows, which a
	# reused database would carry into the next run.
	$(VENV)/bin/pytest --create-db

stop services-stop:
	$(PY) -m config.embedded stop

bench: bootstrap
	$(PY) bench/provisioning.py

clean: stop
	rm -rf var
