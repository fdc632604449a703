# coprosim: make setup | run | test (both Mesa pairs) | dashboard | docs | bench | wheel | check-wheel
# The newest supported Python found (3.13, 3.12, then 3.11) unless PYTHON=... is given. Each
# candidate is run, not just looked up: a pyenv shim exists even when its version is not selected.
SUPPORTED_PYTHONS := python3.13 python3.12 python3.11
PYTHON ?= $(firstword $(foreach p,$(SUPPORTED_PYTHONS),$(shell $(p) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' >/dev/null 2>&1 && echo $(p))))
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS := all,test,docs

# The second supported pair, for the tests (docs/supported-versions.md): Mesa 3.5+ needs Python
# 3.12 or newer, so .venv-mesa-new is made with Python 3.13 or 3.12 (PYTHON_NEW=... to choose)
# and gets the newest Mesa the registry has; .venv is Python 3.11 with Mesa 3.3.1 on CI.
# pyenv's own builds are tried too: they run without selecting the version.
PYENV_DIR := $(or $(PYENV_ROOT),$(HOME)/.pyenv)
NEW_PYTHONS := python3.13 python3.12 $(sort $(wildcard $(PYENV_DIR)/versions/3.13*/bin/python3.13)) $(sort $(wildcard $(PYENV_DIR)/versions/3.12*/bin/python3.12))
PYTHON_NEW ?= $(firstword $(foreach p,$(NEW_PYTHONS),$(shell $(p) -c 'import sys; sys.exit(not (3, 12) <= sys.version_info[:2] < (3, 14))' >/dev/null 2>&1 && echo $(p))))
NEW_VENV := .venv-mesa-new
NEW_PY := $(NEW_VENV)/bin/python
NEW_STAMP := $(NEW_VENV)/.installed

.PHONY: setup setup-mesa-new run test test-main test-mesa-new test-fast dashboard dashboard-mesa bench bench-sweep bench-dashboard browser lint docs wheel check-wheel clean

setup: $(STAMP)

# Idempotent: an existing working venv is kept (whatever Python made it) and only reinstalled
# when pyproject.toml changes.
$(STAMP): pyproject.toml
	@if ! { test -x $(PY) && $(PY) -c 'import sys' >/dev/null 2>&1; }; then \
	  python="$(PYTHON)"; \
	  if [ -z "$$python" ]; then echo "error: no Python 3.11, 3.12 or 3.13 found (looked for $(SUPPORTED_PYTHONS)); install one, or run: make PYTHON=/path/to/python3.x setup"; exit 1; fi; \
	  echo "creating $(VENV) with $$python ($$($$python -c 'import sys; print(sys.version.split()[0])'))"; \
	  rm -rf $(VENV) && $$python -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	@touch $(STAMP)

setup-mesa-new: $(NEW_STAMP)

$(NEW_STAMP): pyproject.toml
	@if ! { test -x $(NEW_PY) && $(NEW_PY) -c 'import sys' >/dev/null 2>&1; }; then \
	  python="$(PYTHON_NEW)"; \
	  if [ -z "$$python" ]; then echo "error: no Python 3.12 or 3.13 found for Mesa 3.5+ (looked for $(NEW_PYTHONS)); install one, or run: make PYTHON_NEW=/path/to/python3.x setup-mesa-new"; exit 1; fi; \
	  echo "creating $(NEW_VENV) with $$python ($$($$python -c 'import sys; print(sys.version.split()[0])'))"; \
	  rm -rf $(NEW_VENV) && $$python -m venv $(NEW_VENV); \
	fi
	$(NEW_PY) -m pip install --quiet --upgrade pip
	$(NEW_PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	@touch $(NEW_STAMP)

run: setup
	$(VENV)/bin/coprosim compare experiments/policy_comparison.toml

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# CI (.ci/run): the whole suite in both supported pairs, each told where the other is (for the
# test that one seed gives the same numbers on both); fails if either fails, after running both.
test: setup setup-mesa-new browser
	@$(PY) tests/mesa_pairs.py $(PY) $(NEW_PY)
	@status=0; \
	echo "== tests in $(VENV): $$($(PY) tests/mesa_pairs.py $(PY))"; \
	COPROSIM_OTHER_PYTHON=$(NEW_PY) $(PY) -m pytest -q || status=1; \
	echo "== tests in $(NEW_VENV): $$($(PY) tests/mesa_pairs.py $(NEW_PY))"; \
	COPROSIM_OTHER_PYTHON=$(PY) $(NEW_PY) -m pytest -q || status=1; \
	exit $$status

# The suite in one environment only.
test-main: setup browser
	$(PY) -m pytest -q

test-mesa-new: setup setup-mesa-new browser
	COPROSIM_OTHER_PYTHON=$(PY) $(NEW_PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow and not browser"

dashboard: setup
	$(VENV)/bin/coprosim dashboard

dashboard-mesa: setup
	$(VENV)/bin/coprosim dashboard --mesa

bench: setup
	$(PY) benchmarks/bench_model.py

bench-sweep: setup
	$(PY) benchmarks/bench_sweep.py

bench-dashboard: setup browser
	$(PY) benchmarks/bench_dashboard.py

lint: setup
	$(VENV)/bin/ruff check .

# The documentation site in site/ (MkDocs + Material + mkdocstrings; strict: any warning fails; offline).
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

# The wheel in dist/ (built offline with the venv's setuptools).
wheel: setup
	rm -rf dist build
	$(PY) -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .

# A clean install of the built wheel with every extra into a fresh venv under /tmp, then the
# README's API and command-line examples from a folder holding its own model.py (needs PyPI).
check-wheel: wheel
	$(PY) tests/check_wheel.py dist/*.whl

clean:
	rm -rf $(VENV) $(NEW_VENV) .pytest_cache .hypothesis build dist site
