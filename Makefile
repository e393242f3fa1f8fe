# Signpost — make targets. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt requirements-nlp.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade 'pip>=24'
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[local,dev]'
	@# unstructured[pdf] pulls timm and a CUDA-linked torchvision that break
	@# sentence-transformers; the fast PDF path never imports them.
	$(BIN)/python -m pip uninstall -q -y torchvision timm || true
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements-nlp.txt
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies

run: install ## Start the API on the embedded Postgres, seed the demo bot, print the URLs
	$(BIN)/signpost serve --seed-demo

# The demo suite reaches 0.901 (91/101) in deterministic mode; `make test` fails below this
# (one case of slack) or on any gate violation.
EVAL_MIN_PASS_RATE ?= 0.89

test: install ## Run the test suite (real Postgres, Redis, server processes, Chromium) and the eval gate
	@.ci/ensure-chromium
	$(BIN)/python -m pytest
	@mkdir -p out
	@tmp=$$(mktemp -d /tmp/signpost-eval-XXXXXX) && \
	  SIGNPOST_DATA_DIR=$$tmp $(BIN)/signpost eval run evals/suites/demo.yaml \
	    --report out/eval-demo.json --html out/eval-demo.html \
	    --min-pass-rate $(EVAL_MIN_PASS_RATE) --max-gate-violations 0; \
	  status=$$?; rm -rf $$tmp; exit $$status

lint: install ## Ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy signpost store api graph tools ingestion prompts evals tracing services

fmt: install ## Format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# EVAL_ARGS adds options, e.g. EVAL_ARGS="--min-pass-rate 0.9 --max-gate-violations 0" to gate.
eval: install ## Run the project's eval suite and write reports to out/
	@mkdir -p out
	$(BIN)/signpost eval run evals/suites/demo.yaml --report out/eval-demo.json --html out/eval-demo.html $(EVAL_ARGS)

bench: install ## Run the benchmarks; each prints JSON
	@for b in bench/bench_*.py; do echo "# $$b"; $(BIN)/python $$b || exit 1; done

lock: ## Re-resolve the dependencies and rewrite constraints.txt
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install -q --upgrade 'pip>=24'
	.lockvenv/bin/python -m pip install -q '.[local,dev]'
	.lockvenv/bin/python -m pip freeze --exclude-editable | grep -vE '^(signpost|torchvision|timm)( @|==)' > constraints.txt
	rm -rf .lockvenv

clean: ## Remove the venv and the data dir
	rm -rf $(VENV) .data

.PHONY: help install run test lint fmt eval bench lock clean
