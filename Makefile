# ShopOps: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup install migrate demo lint format check-deploy clean bench bench-record

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("ShopOps needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

setup: demo

run: setup
	@echo "ShopOps on http://$(HOST):$(PORT)/  (log in with one of the demo logins above)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# The suite on TEST_WORKERS pytest-xdist processes (each with its own test database), handed one test at a time so
# a long test never holds back a queue of others; TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
test: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --maxschedchunk=1 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-deploy: install
	DEBUG=false SECRET_KEY=check-deploy-$$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	FIELD_ENCRYPTION_KEYS=$$(head -c 32 /dev/urandom | base64 | tr '+/' '-_') \
	FIELD_HASH_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	ALLOWED_HOSTS=shop.example.com $(PY) manage.py check --deploy --fail-level WARNING

# Every bench in bench/ at the README's scale against PostgreSQL (BENCH_DATABASE_URL, default the local server), each
# figure beside its record in bench/baseline.json; exits 1 when one is more than 1.3x worse. Not part of `make test`.
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

# The same, then the figures become the new record (commit bench/baseline.json with the change that moved them).
bench-record: install
	$(PY) bench/run.py --record $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
