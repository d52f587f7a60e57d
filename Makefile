# Two commands set everything up on a fresh machine:
#   make demo   builds .venv, then runs the whole comparison on the demo data
#   make test   builds .venv, then runs the test suite
#
# TORCH is installed only when .venv has no torch yet. The default is the CPU
# build that this project's CI machines keep on disk; pick another with, e.g.,
#   make demo TORCH="torch==2.6.0 --index-url https://download.pytorch.org/whl/cu124"
# or install your own torch into .venv before running make.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
# The tests run the feature extractors too: their optional libraries install
# in about a minute (EXTRAS=test skips them; their tests are then skipped).
EXTRAS ?= test,features
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint format docs bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install $(TORCH)
	$(BIN)/python -m pip install -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sklearn-mmer run --out results/demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: $(STAMP)
	$(BIN)/python -m pip install -e ".[docs]"
	$(BIN)/python -m sphinx -W -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python -m pip install -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) results docs/_build .pytest_cache .ruff_cache
