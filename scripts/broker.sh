#!/usr/bin/env bash
# The dev/CI Kafka-compatible broker: tansu with in-memory storage on 127.0.0.1:${BROKER_PORT:-9092}.
#   scripts/broker.sh start   starts it unless it already answers (installing it if needed)
#   scripts/broker.sh stop    stops the one this script started
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${RUN_DIR:-.run}
PORT=${BROKER_PORT:-9092}
PIDFILE=$RUN_DIR/tansu.pid
mkdir -p "$RUN_DIR/logs"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

case "${1:-start}" in
  start)
    if listening; then exit 0; fi
    scripts/install-tansu.sh
    # In-memory: nothing survives a restart, which is what dev and CI want.
    env -u OTEL_EXPORTER_OTLP_ENDPOINT nohup tansu broker \
      --listener-url "tcp://127.0.0.1:$PORT" \
      --advertised-listener-url "tcp://127.0.0.1:$PORT" \
      --storage-engine memory://tansu/ >>"$RUN_DIR/logs/tansu.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do listening && { echo "broker on 127.0.0.1:$PORT"; exit 0; }; sleep 0.1; done
    echo "error: the broker did not start; see $RUN_DIR/logs/tansu.log" >&2
    exit 1
    ;;
  stop)
    if [ -e "$PIDFILE" ]; then
      kill "$(cat "$PIDFILE")" 2>/dev/null || true
      rm -f "$PIDFILE"
      echo "stopped broker"
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
