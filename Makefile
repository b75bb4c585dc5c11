# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo ui test install install-dev lint typecheck bench bench-providers bench-load bench-compliance bench-agent clean

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

# The service and its UI on this machine: the API with embedded workers on :8000 and the UI on
# :8501, with an API key made once for it (kept, private, in .cap/ui.key). Ctrl-C stops both.
ui: $(STAMP)
	@mkdir -p .cap
	@test -s .cap/ui.key || (umask 077 && $(BIN)/cap keys create --name ui > .cap/ui.key)
	@$(BIN)/cap serve & api=$$!; trap 'kill $$api 2>/dev/null; wait $$api' EXIT INT TERM; \
	  CAP_API_KEY=$$(cat .cap/ui.key) CAP_UI_EXAMPLES=examples $(BIN)/cap ui

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
