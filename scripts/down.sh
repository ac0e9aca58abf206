#!/usr/bin/env bash
# `make down`: stops what `make up` started: the edge, the services (SIGTERM, so they drain
# and exit cleanly), then Kafka, PostgreSQL and Redis, which keep their data for the next
# `make up`. --keep-dependencies stops the edge and the services only.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${RUN_DIR:-.run}

scripts/edge.sh stop

for pidfile in "$RUN_DIR"/*-service.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $(basename "$pidfile" .pid)"
  fi
  rm -f "$pidfile"
done

[ "${1:-}" = --keep-dependencies ] && exit 0
scripts/kafka.sh stop
scripts/services.sh stop
