#!/usr/bin/env bash
# `make bench`: builds release binaries, starts what is down (Postgres, Redis, the broker), and
# runs the bench driver (tools/bench), which owns fresh databases, its own topics and the
# service processes. Results: target/bench/*.json and target/bench/report.md.
#   BENCH_SCALE=smoke BENCH_PROFILE=debug scripts/bench.sh   # CI: every step, in seconds
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; source scripts/dev.env; set +a
PROFILE=${BENCH_PROFILE:-release}

scripts/setup.sh
scripts/services.sh start
scripts/kafka.sh start
cargo_flags=(); [ "$PROFILE" = release ] && cargo_flags=(--release)
cargo build "${cargo_flags[@]}" -q -p checkout-service -p order-service -p orderflow-bench
# The capacity plot's matplotlib, pinned, in the project's venv.
[ -x .venv/bin/pip ] || python3 -m venv .venv
.venv/bin/pip show -q matplotlib >/dev/null 2>&1 || .venv/bin/pip install -q matplotlib==3.10.3
# Other work on this machine (make up, browser tests) waits while this file exists: the CPU
# figures count every Postgres, Redis and Kafka process.
lock=/tmp/orderflow-bench.lock
touch "$lock"
trap 'rm -f "$lock"' EXIT
out=${BENCH_OUT:-target/bench}
BENCH_BIN_DIR=target/$PROFILE "target/$PROFILE/orderflow-bench"
.venv/bin/python tools/bench/plot/capacity.py "$out"
