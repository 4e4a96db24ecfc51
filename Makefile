# `make drill` and `make test` set everything up on a fresh machine: they create .venv when it
# is missing and install the pinned requirements whenever they change.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: drill test lint browser fmt bench clean

$(INSTALLED): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

drill: $(INSTALLED)
	$(PY) -m drills run all

# Two workers: the drill and runbook tests wait on emulator subprocesses, so this halves the time on 2 cores.
# Each test file runs whole on one worker (tests/conftest.py), so module-scoped fixtures are built once.
# Lint and format checks first: a second or two, and the suite then runs on code that reads as agreed.
test: lint browser
	$(PY) -m pytest -n 2

# Debian's headless Chromium, in which the HTML report's tests render pages
# (tests/drills/test_html_report.py): installed when missing, as root with apt-get, as these
# machines' set-up installs OS packages; checked at every run (a second when it is there).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  command -v google-chrome >/dev/null 2>&1 || \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium || \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }; } || \
	  { echo "make: Debian's chromium package is needed for the HTML report's browser tests (apt-get install chromium, as root)" >&2; exit 1; }

# ruff: pycodestyle, pyflakes, import order, and the formatter's layout; mypy --strict on the
# packages pyproject.toml names (settings for both in pyproject.toml).
lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Formats the code and sorts its imports in place.
fmt: $(INSTALLED)
	$(PY) -m ruff check --select I --fix .
	$(PY) -m ruff format .

# Timings on this machine (see bench/README.md); writes bench/results.json.
bench: $(INSTALLED)
	$(PY) -m bench

clean:
	rm -rf $(VENV) reports
