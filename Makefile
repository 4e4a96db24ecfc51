# `make drill` and `make test` set everything up on a fresh machine: they create .venv when it
# is missing and install the pinned requirements whenever they change.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: drill test bench clean

$(INSTALLED): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

drill: $(INSTALLED)
	$(PY) -m drills run all

# Two workers: the drill and runbook tests wait on emulator subprocesses, so this halves the time on 2 cores.
test: $(INSTALLED)
	$(PY) -m pytest -n 2

# Timings on this machine (see bench/README.md); writes bench/results.json.
bench: $(INSTALLED)
	$(PY) -m bench

clean:
	rm -rf $(VENV) reports
