# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python

.PHONY: demo docs test test-browser test-cluster test-faults test-integrations test-search lint typecheck pytest bench bench-env compat clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,docs]'
	touch $@

$(BENCH_VENV)/.installed: pyproject.toml benchmarks/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q --upgrade pip
	$(BENCH_PY) -m pip install -q -r benchmarks/requirements.txt
	$(BENCH_PY) -m pip install -q -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(PY) examples/demo.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check tansaku tests benchmarks examples docs
	$(VENV)/bin/ruff format --check tansaku tests benchmarks examples docs

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# The benchmark environment comes first: some storage tests have Optuna write a study to read.
pytest: $(VENV)/.installed $(BENCH_VENV)/.installed
	$(PY) -m pytest -n 2 -m "not browser and not cluster and not integrations" tests --ignore=tests/compat

# Tests that compare tansaku with Optuna side by side; they need the benchmark environment.
compat: $(BENCH_VENV)/.installed
	$(BENCH_PY) -m pytest -n 2 --dist loadfile tests/compat

test: lint typecheck pytest compat

# The hypothesis properties as a long random search: a fresh seed and 20 times the examples each
# run. Not a gate (make test runs them derandomized); each failure it finds becomes a test there.
test-search: $(VENV)/.installed $(BENCH_VENV)/.installed
	TANSAKU_HYPOTHESIS=search $(PY) -m pytest -n 2 -m hypothesis tests --ignore=tests/compat

# The dashboard driven in headless Chromium (Debian's /usr/bin/chromium; .ci/run installs it).
test-browser: $(VENV)/.installed
	$(PY) -m pytest -m browser tests/dashboard

# The fault-injection suite with every seed (`make test` runs the first seed of each test).
test-faults: $(VENV)/.installed
	TANSAKU_FAULT_SEEDS=all $(PY) -m pytest -n 2 -m faults tests/faults

# tansaku.parallel on a real local Dask cluster and a real local Ray instance, and Ray Tune
# runs searching with TansakuSearch; installs the engines (the `cluster` extra) first, which
# `make test` does not need.
$(VENV)/.cluster-installed: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e '.[cluster]'
	touch $@

test-cluster: $(VENV)/.cluster-installed
	$(PY) -m pytest -m cluster tests/parallel tests/integration tests/docs

# tansaku.integration against the real frameworks, each training a tiny model on bundled data;
# installs them (the `integrations` extra) first. PyTorch comes first, pinned to the CPU build
# this machine keeps on disk, so that Lightning and Keras do not pull a CUDA build; named again
# with the extra, so that a newer Lightning wanting a newer torch is passed over, not installed.
$(VENV)/.integrations-installed: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[integrations]' torch==2.13.0
	touch $@

test-integrations: $(VENV)/.integrations-installed
	$(PY) -m pytest -n 2 -m integrations tests --ignore=tests/compat

bench-env: $(BENCH_VENV)/.installed

bench: $(BENCH_VENV)/.installed
	$(BENCH_PY) -m benchmarks all --quick

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .mypy_cache .ruff_cache

# The documentation site, built into docs/_build/html (open index.html, or serve it with
# `python -m http.server -d docs/_build/html`). Warnings are errors; -E rereads every page so
# no warning hides behind an incremental build.
docs: $(VENV)/.installed $(VENV)/.integrations-installed
	$(PY) -m sphinx -E -b html -W --keep-going -n -q docs docs/_build/html
