# The two commands a newcomer needs: `make run` and `make test`. Both create .venv from the project's own
# files when it is missing (or when pyproject.toml changed), install, and run.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint notebooks bench docs clean-output system-deps

run: $(STAMP)
	$(BIN)/papers run

# Two workers (TEST_WORKERS=0 for one process); a test file stays on one worker, so its fixtures start once.
TEST_WORKERS ?= 2

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# Executes every examples/ notebook on the latest published version and saves output/notebooks/*.html.
notebooks: $(STAMP)
	$(BIN)/python -m examples.execute --version output/trending-papers/latest --html output/notebooks

# Builds the docs site (docs/, mkdocs.yml) into output/site/; warnings fail it, as in CI.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Debian packages the tests need (headless Chromium); does nothing when they are there.
system-deps:
	@bash scripts/install-system-deps.sh

clean-output:
	rm -rf output/trending-papers output/failed-runs output/raw
