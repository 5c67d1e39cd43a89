# The two commands a newcomer needs: `make run` and `make test`. Both create .venv from the project's own
# files when it is missing (or when pyproject.toml changed) and install what they need: `make run` the
# project, `make test` the project with its dev extra (and the Debian packages the tests need).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint notebooks docs clean-output system-deps

run: $(RUN_STAMP)
	$(BIN)/papers run

# Two workers (TEST_WORKERS=0 for one process); a test file stays on one worker, so its fixtures start once.
TEST_WORKERS ?= 2

test: $(DEV_STAMP) system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# Executes every examples/ notebook on the latest published version and saves output/notebooks/*.html.
notebooks: $(DEV_STAMP)
	$(BIN)/python -m examples.execute --version output/trending-papers/latest --html output/notebooks

# Builds the docs site (docs/, mkdocs.yml) into output/site/; warnings fail it, as in CI.
docs: $(DEV_STAMP)
	$(BIN)/mkdocs build --strict

# Style, the layer contract (imports inside functions count) and the types of flows/ and transforms/.
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

$(RUN_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(RUN_STAMP) $(DEV_STAMP)

# Debian packages the tests need (headless Chromium); does nothing when they are there.
system-deps:
	@bash scripts/install-system-deps.sh

clean-output:
	rm -rf output/trending-papers output/failed-runs output/raw
