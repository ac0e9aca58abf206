#!/usr/bin/env bash
# `make up`: the whole system on this machine, no Docker. Installs what is missing
# (scripts/setup.sh), starts PostgreSQL, Redis and Apache Kafka of the project's own, builds,
# creates the topics and the databases, migrates them, starts both services in the background
# and the edge in front of them (scripts/edge.sh: the storefront, the console and both APIs on
# one origin), and returns once all are ready. A second `make up` reuses all of it.
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

# Ready means this run's process answers: another process on the same port (a second clone's
# `make up`, say) would answer too, while ours exited because it could not bind.
for service in checkout-service order-service; do
  addr=$CHECKOUT_ADDR; [ "$service" = order-service ] && addr=$ORDER_ADDR
  pid=$(cat "$RUN_DIR/$service.pid")
  ready=
  for _ in $(seq 1 60); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $service exited at start; the end of $LOG_DIR/$service.log (without a backtrace):" >&2
      grep -v '^ *[0-9]*: \|^ *at \|^Stack backtrace:' "$LOG_DIR/$service.log" | tail -5 >&2
      echo "(make down stops what did start)" >&2
      exit 1
    fi
    if curl -fs -o /dev/null "http://$addr/health/ready"; then ready=1; break; fi
    sleep 0.5
  done
  [ -n "$ready" ] || { echo "error: http://$addr/health/ready is not ready; see $LOG_DIR" >&2; exit 1; }
  if command -v ss >/dev/null && ! ss -ltnpH "sport = :${addr##*:}" | grep -q "pid=$pid,"; then
    echo "error: another process answers on $addr, not this run's $service:" >&2
    ss -ltnpH "sport = :${addr##*:}" >&2
    exit 1
  fi
done

scripts/edge.sh start

cat <<MSG
orderflow is up
  storefront        http://$EDGE_ADDR/   (operations console: http://$EDGE_ADDR/ops)
  checkout-service  http://$CHECKOUT_ADDR   (OpenAPI: http://$CHECKOUT_ADDR/openapi.json)
  order-service     http://$ORDER_ADDR   (OpenAPI: http://$ORDER_ADDR/openapi.json)
  Apache Kafka      $KAFKA_BROKERS
  PostgreSQL        $PG_URL
  Redis             $SESSION_STORE
  logs              $LOG_DIR/
  a token           make token CUSTOMER=alice   (admin: make token CUSTOMER=ops ADMIN=1)
  stop              make down
MSG
