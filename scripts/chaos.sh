#!/usr/bin/env bash
# `make chaos`: builds the services and the chaos driver (tools/chaos), which starts its own
# Postgres cluster (initdb in a temporary folder), Redis, a three-broker Apache Kafka cluster,
# two replicas of both services and both relays, on ports from CHAOS_PORT_BASE (19100), never
# the machine's shared servers, and runs checkouts through a seeded schedule of kills, pauses,
# network partitions, scaling, restarts and latency. Report: target/chaos/.
#   CHAOS_CHECKOUTS=10000 CHAOS_RATE=40 CHAOS_SEED=1 CHAOS_INTERVAL=8s   # the defaults
#   CHAOS_PROFILE=release                                                # optimized binaries
#   CHAOS_FAULTS=kill-broker,kill-order-service   # only these kinds (names as in the report)
#   CHAOS_SETTLE_TIMEOUT=5m                       # the longest wait for the system to settle
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${CHAOS_PROFILE:-debug}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

scripts/setup.sh
# initdb and pg_ctl: on PATH, or in Debian's versioned folder.
initdb=$(command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
[ -n "$initdb" ] || { echo "error: initdb not found (Debian package postgresql)" >&2; exit 1; }

cargo_flags=(); [ "$PROFILE" = release ] && cargo_flags=(--release)
cargo build "${cargo_flags[@]}" -q -p checkout-service -p order-service -p orderflow-chaos
CHAOS_PG_BIN=$(dirname "$(readlink -f "$initdb")") CHAOS_BIN_DIR="$TARGET_DIR/$PROFILE" \
  CHAOS_KAFKA_SCRIPT="$PWD/scripts/kafka.sh" "$TARGET_DIR/$PROFILE/orderflow-chaos"
