# The two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
PYTEST_ARGS ?= -n 2

.PHONY: venv demo test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the package metadata changes (the install is editable). The test extra
# compares against taufactor, which needs torch: the pinned CPU build goes in first so that nothing
# pulls a CUDA build.
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install torch==2.13.0
	$(PIP) install -e ".[test]"
	touch $@

venv: $(VENV)/.installed-test

demo: venv
	$(VENV)/bin/microtwin demo --out results/demo --overwrite

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# Anchors for the benchmarks (porespy, taufactor, pytrax, scikit-fmm, OpenPNM); torch came with the tests.
$(VENV)/.installed-bench: pyproject.toml | $(VENV)/.installed-test
	$(PIP) install -e ".[test,bench]"
	touch $@

bench: $(VENV)/.installed-bench
	for script in $(filter-out benchmarks/bench_measure.py,$(wildcard benchmarks/bench_*.py)); do \
		$(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
