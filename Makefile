# One Screen: `make run` serves the embedded demo, `make test` runs every test tier.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: run serve test test-moved-clock test-unit lint bench system-deps boundaries clean

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
		{ echo "One Screen needs Python 3.11 (found: $$($(PYTHON) --version)). Install python3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	touch $@

$(VENV)/.installed-run: requirements.txt $(VENV)/.python-ok
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.python-ok
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(PY) app.py

# Production serving on one host: gunicorn workers that only serve, and one refresher beside them.
REFRESH_SECONDS ?= 300
serve: $(VENV)/.installed-run
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) -m dashboard refresh --every $(REFRESH_SECONDS) & \
	$(VENV)/bin/gunicorn -c gunicorn.conf.py 'app:wsgi()'

system-deps:
	@bash tools/ensure_system_deps.sh

test: $(VENV)/.installed-dev system-deps
	SE_OFFLINE=true $(PY) -m pytest

# The unit and integration tiers with the process clock moved years ahead and the machine in another time zone:
# proof that no test depends on the date. SQLite only: a database server keeps its own clock.
MOVED_CLOCK ?= 2031-06-01 12:00:00
test-moved-clock: $(VENV)/.installed-dev system-deps
	env -u ONESCREEN_TEST_POSTGRES_URL -u ONESCREEN_TEST_MARIADB_URL -u ONESCREEN_TEST_REDIS_URL \
		-u ONESCREEN_TEST_REQUIRE_SERVERS TZ=America/New_York \
		faketime '$(MOVED_CLOCK)' $(PY) -m pytest -p no:cacheprovider tests/unit tests/integration

test-unit: $(VENV)/.installed-dev
	$(PY) -m pytest tests/unit

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed-dev
	$(PY) -m bench

boundaries: $(VENV)/.installed-dev
	$(PY) tools/boundaries.py --city dashboard/cities/harbin.json

clean:
	rm -rf $(VENV) data .pytest_cache
