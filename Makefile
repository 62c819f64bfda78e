# The two commands of the README: `make demo` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
N ?= 1000000
SEED ?= 0

.PHONY: demo test lint format install install-dev bench clean

# a venv that failed half-way (Debian's python3 without python3-venv) must not look ready next time
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "python3 -m venv failed: on Debian, apt-get install python3-venv" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt pins the versions the suite was verified with (golden files depend on matplotlib)
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/audit demo --n $(N) --seed $(SEED) --out reports/demo

test: $(VENV)/.installed-dev
	$(BIN)/ruff check audit tests benchmarks
	$(BIN)/ruff format --check audit tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check audit tests benchmarks
	$(BIN)/ruff format --check audit tests benchmarks

format: $(VENV)/.installed-dev
	$(BIN)/ruff format audit tests benchmarks
	$(BIN)/ruff check --fix audit tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
