# feedwatch: `make run` starts it, `make test` tests it. Each sets itself up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONFIG ?= config/feedwatch.yaml
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit integration demo bench clean check-config check-deploy deploy-checks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[embedded,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/feedwatch run --config $(CONFIG)

check-config: $(STAMP)
	$(BIN)/feedwatch check-config $(CONFIG)

lint: $(STAMP)
	$(BIN)/ruff check service workers tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

test: lint typecheck $(STAMP)
	$(BIN)/python -m pytest -q tests

demo: $(STAMP)
	$(BIN)/python -m demo.run

check-deploy: $(STAMP)
	VENV=$(VENV) bash deploy/check-deploy.sh

deploy-checks: $(STAMP)
	VENV=$(VENV) bash deploy/ci-checks.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
