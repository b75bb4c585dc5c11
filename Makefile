# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test install install-dev lint typecheck bench bench-providers bench-load bench-compliance bench-agent clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEVSTAMP)

demo: $(STAMP)
	$(BIN)/cap run examples/aurora-summer.yaml --assets examples/assets --out output

test: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python bench/render.py

bench-providers: $(STAMP)
	$(BIN)/python bench/providers.py

bench-compliance: $(STAMP)  # accuracy of the compliance checks on their labelled sets, and cost
	$(BIN)/python -m bench.compliance

bench-agent: $(STAMP)  # one pass of the monitoring agent over real campaigns: ms per tick
	$(BIN)/python bench/agent.py

bench-load: $(DEVSTAMP)  # needs Redis and PostgreSQL for the at-scale figures (else embedded)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) output .cap .pytest_cache .mypy_cache .ruff_cache
