# ai-usage: the two commands that matter are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
CONFIG ?= debug
BIN_DIR = $(shell $(SWIFT) build -c $(CONFIG) --show-bin-path)
AI_USAGE = $(BIN_DIR)/ai-usage
export DYNAMODB_TABLE_NAME ?= AIUsageMetrics

.PHONY: help build run test test-unit bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

build: ## Build everything; fail on any warning in our own code
	@mkdir -p .build; set -o pipefail; $(SWIFT) build -c $(CONFIG) --build-tests 2>&1 | tee .build/build-log.txt
	@if grep -E '/(Sources|Tests)/.*warning:' .build/build-log.txt; then echo "make: warnings in our code (see above)" >&2; exit 1; fi

# The events `make run` answers: a full report, each kind of filter, a refusal, the CORS preflight.
RUN_EVENTS = format-rest-v1-full-report param-service-upper-case param-job-id format-http-v2-repeated-aggregation bad-date-impossible route-options-preflight

run: build ## Start a local DynamoDB-compatible server (unless one is configured), create and seed the table, answer events/ with the handler
	@scripts/with-local-dynamodb bash -c '\
	  set -e; \
	  echo "== ai-usage table create (DYNAMODB_TABLE_NAME=$$DYNAMODB_TABLE_NAME, endpoint $$AWS_ENDPOINT_URL_DYNAMODB)"; \
	  "$(AI_USAGE)" table create; \
	  echo "== ai-usage seed --days 30 --per-day 100"; \
	  "$(AI_USAGE)" seed --days 30 --per-day 100; \
	  echo "== ai-usage record --service openai --model gpt-4o --operation completion --input-tokens 1000 --output-tokens 500 --job-id demo"; \
	  "$(AI_USAGE)" record --service openai --model gpt-4o --operation completion --input-tokens 1000 --output-tokens 500 --job-id demo; \
	  for event in $(RUN_EVENTS); do \
	    echo; echo "== ai-usage invoke --pretty events/$$event.json"; \
	    AI_USAGE_CACHE_TTL_SECONDS=0 "$(AI_USAGE)" invoke --pretty "events/$$event.json"; \
	  done'

test: build ## Unit tests, then integration tests against a local DynamoDB-compatible server
	@scripts/with-local-dynamodb $(SWIFT) test -c $(CONFIG) --skip-build

test-unit: ## Only the tests that need no server
	$(SWIFT) test --skip IntegrationTests

bench: ## Tracker throughput and record() latency (null sink and a local server); results go in docs/benchmarks.md
	$(SWIFT) build -c release --product ai-usage-bench
	@scripts/with-local-dynamodb "$$($(SWIFT) build -c release --show-bin-path)/ai-usage-bench"

clean: ## Remove build output
	rm -rf .build dist
