#!/usr/bin/env bash
# `make up`: the whole system on this machine, no Docker. Installs what is missing
# (scripts/setup.sh), starts PostgreSQL, Redis and Apache Kafka of the project's own, builds,
# creates the topics and the databases, migrates them, starts both services in the background
# and returns once both are ready. A second `make up` reuses all of it.
# PROFILE=release builds optimised binaries (slower to build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/services.sh start
set -a; source scripts/dev.env; set +a
RUN_DIR=${RUN_DIR:-.run}
LOG_DIR=$RUN_DIR/logs
PROFILE=${PROFILE:-debug}
mkdir -p "$LOG_DIR"

scripts/down.sh --keep-dependencies
scripts/kafka.sh start

cargo_flags=(); [ "$PROFILE" = release ] && cargo_flags=(--release)
cargo build "${cargo_flags[@]}" -q -p checkout-service -p order-service -p orderflowctl
bin=target/$PROFILE

for db in orderflow_checkout orderflow_order; do
  exists=$(psql "$PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")
  [ "$exists" = 1 ] || psql -q "$PG_URL/postgres" -c "CREATE DATABASE $db"
done

export LOG_FORMAT=${LOG_FORMAT:-json} RUST_LOG=${RUST_LOG:-info} KAFKA_BROKERS
"$bin/orderflowctl" topics
start() { # service, database, address, extra env...
  local service=$1 db=$2 addr=$3; shift 3
  env DATABASE_URL="$PG_URL/$db" HTTP_ADDR="$addr" "$@" "$bin/$service" migrate >>"$LOG_DIR/$service.log" 2>&1
  env DATABASE_URL="$PG_URL/$db" HTTP_ADDR="$addr" "$@" nohup "$bin/$service" serve >>"$LOG_DIR/$service.log" 2>&1 &
  echo $! >"$RUN_DIR/$service.pid"
}
start checkout-service orderflow_checkout "$CHECKOUT_ADDR" SESSION_STORE="$SESSION_STORE"
start order-service orderflow_order "$ORDER_ADDR"

for url in "http://$CHECKOUT_ADDR/health/ready" "http://$ORDER_ADDR/health/ready"; do
  ready=
  for _ in $(seq 1 60); do
    if curl -fsS -o /dev/null "$url"; then ready=1; break; fi
    sleep 0.5
  done
  [ -n "$ready" ] || { echo "error: $url is not ready; see $LOG_DIR" >&2; exit 1; }
done

cat <<MSG
orderflow is up
  checkout-service  http://$CHECKOUT_ADDR   (OpenAPI: http://$CHECKOUT_ADDR/openapi.json)
  order-service     http://$ORDER_ADDR   (OpenAPI: http://$ORDER_ADDR/openapi.json)
  Apache Kafka      $KAFKA_BROKERS
  PostgreSQL        $PG_URL
  Redis             $SESSION_STORE
  logs              $LOG_DIR/
  a token           make token CUSTOMER=alice   (admin: make token CUSTOMER=ops ADMIN=1)
  stop              make down
MSG
