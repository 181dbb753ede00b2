# Connection Game — the two commands a newcomer runs are `make play` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: play test bench lint clean

include mk/deploy.mk

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

play: $(STAMP)
	@$(BIN)/connection-game play

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check skill tests lambda
	$(BIN)/lint-imports
	$(BIN)/mypy skill/core

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
