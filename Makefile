# orderflow: every entry point a developer or CI uses. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

.PHONY: help up down test setup fmt lint lint-infra sqlx-check sqlx-prepare unit browser-test token logs dlq bench load load-smoke chaos fuzz-api images compose-test cluster-up cluster-down cluster-test

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

up: ## Install what is missing, then run the whole system locally (its own Postgres, Redis and Kafka; no Docker)
	@scripts/up.sh

down: ## Stop what `make up` started
	@scripts/down.sh

test: setup lint sqlx-check lint-infra unit browser-test ## Install what is missing, then fmt, clippy, the query data check, the infrastructure checks, every test, then the browser tests

setup: ## Install what is missing: Debian packages, Kafka's jars, rustfmt, clippy, cargo-nextest
	@scripts/setup.sh --test-tools

lint: ## cargo fmt --check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

sqlx-check: ## Fail when a service's .sqlx/ (the data its compile-time checked queries build from) is stale
	@scripts/sqlx.sh check

sqlx-prepare: ## Rewrite each service's .sqlx/ from freshly migrated databases (after changing a query or a migration)
	@scripts/sqlx.sh prepare

lint-infra: ## Offline checks: hadolint, compose, kustomize + kubernetes-validate, policy-check (Gatekeeper Rego, policy folders), gator verify + gator test, gitops-check (first-sync order, egress, HPA replicas, Secret keys, Job pods out of workload selectors, JWKS egress, no data dir at a volume root, no operator path on the Ingress), Chaos Mesh schema, Argo CD repoURL, infra-consistency (images, ECR, pipelines, versions, EKS access, plan role, chaos targets), workflow schema + zizmor + actionlint (shellcheck), terraform fmt/hcl2, checkov, yamllint
	@scripts/lint-infra.sh

unit: ## Every test (starts Postgres, Redis and Kafka if they are down)
	@scripts/services.sh start
	@scripts/kafka.sh start
	@set -a; source scripts/dev.env; set +a; scripts/drop-test-dbs.sh && $(CARGO) run -q -p test-support --bin drop-test-topics && $(CARGO) nextest run --workspace --no-fail-fast

browser-test: ## The storefront and the console in Debian's Chromium (Playwright) against `make up`, which it starts; screenshots in target/browser/
	@scripts/browser-test.sh

bench: ## Release build, then every BENCHMARKS.md figure against its limit (target/bench/)
	@scripts/bench.sh

chaos: ## Checkouts through seeded kills, pauses and restarts of processes it owns, then an audit (CHAOS_CHECKOUTS=10000)
	@scripts/chaos.sh

load: ## k6 against a running `make up`: make load [SCENARIO=checkout|browse|orders] [PROFILE=default|smoke|spike|soak]
	@scripts/load.sh

load-smoke: ## Every k6 scenario in the smoke profile (CI runs it after make up)
	@for s in checkout browse orders; do SCENARIO=$$s PROFILE=smoke scripts/load.sh || exit $$?; done

fuzz-api: ## schemathesis against both services' OpenAPI on their own instances: no 5xx, nothing undeclared (FUZZ_EXAMPLES, FUZZ_SEED; target/fuzz/)
	@scripts/fuzz-api.sh

images: ## Build the container images from docker/*.Dockerfile (and the stand-ins of bases no registry serves here)
	@scripts/images.sh build

compose-test: ## docker-compose.yml on Docker: every service healthy (Grafana left out without its image), a checkout through the edge, its trace in Jaeger, then down -v
	@scripts/compose/test.sh

cluster-up: ## A single-node Kubernetes built from source on this machine, as root; the kubectl context orderflow-local
	@scripts/cluster/up.sh

cluster-down: ## Stop the local cluster and remove its state (the built programs and images stay cached)
	@scripts/cluster/down.sh

cluster-test: ## The dev overlay on the current kubectl context: images, apply, waits, a checkout through the Ingress, policies, metrics
	@scripts/cluster/test.sh

fmt: ## Format the code
	$(CARGO) fmt --all

token: ## A dev bearer token: make token CUSTOMER=alice [ADMIN=1]
	@scripts/token.sh "$(CUSTOMER)" "$(ADMIN)"

dlq: ## List the dead letters of every topic (replay: orderflowctl dlq replay <topic> <partition> <offset>)
	@set -a; source scripts/dev.env; set +a; $(CARGO) run -q -p orderflowctl -- dlq list

logs: ## Follow the logs of `make up`
	@tail -F .run/logs/*.log
