# Two commands for a new user: `make demo` and `make test`. Both create .venv on first use.
# durable_rules 2.0.28 builds a C extension that imports on CPython 3.11 and 3.12 only.
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "redress needs CPython 3.11 or 3.12 (durable_rules does not build on 3.13)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/python -m redress.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/replay.py

clean:
	rm -rf $(VENV) build *.egg-info
