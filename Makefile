# One command for the main job, one for the tests; both set themselves up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# make demo SEED=1: another search seed (run folder demo-run-seed1)
SEED   ?= 0

.PHONY: demo test bench setup clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dashboard]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/coexplore demo --seed $(SEED)

# The import-linter contracts in pyproject.toml (DESIGN.md's one-way flow) first, then the tests.
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
