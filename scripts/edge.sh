#!/usr/bin/env bash
# The edge of `make up`: nginx on $EDGE_ADDR (127.0.0.1:8000) serving web/ and routing each
# API path to its service, so the storefront and the console run on one origin.
#   scripts/edge.sh start   write .run/edge/ (nginx.conf, config.json), start nginx, wait for it
#   scripts/edge.sh stop    stop the nginx this checkout started
# config.json holds dev tokens for the storefront's customers and the console's admin,
# signed with the dev AUTH_JWT_SECRET of scripts/dev.env: only ever for this local system.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; source scripts/dev.env; set +a
RUN_DIR=$(mkdir -p "${RUN_DIR:-.run}" && cd "${RUN_DIR:-.run}" && pwd)
run=$RUN_DIR/edge
pidfile=$run/nginx.pid
# The customers the storefront offers, and the console's operator.
CUSTOMERS=(alice bob carol dave)
OPERATOR=ops

stop() {
  [ -e "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -QUIT "$pid" # graceful: in-flight requests finish
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
    echo "stopped edge"
  fi
  rm -f "$pidfile"
}

token() { # customer [--admin]
  local bin=target/${PROFILE:-debug}/orderflowctl
  [ -x "$bin" ] || bin=target/debug/orderflowctl
  "$bin" token --customer "$@"
}

config() {
  local customers=() name
  for name in "${CUSTOMERS[@]}"; do
    customers+=("$(jq -n --arg id "$name" --arg token "$(token "$name")" '{id: $id, token: $token}')")
  done
  jq -n --argjson customers "$(printf '%s\n' "${customers[@]}" | jq -s .)" \
    --arg operator "$OPERATOR" --arg admin "$(token "$OPERATOR" --admin)" \
    --arg jaeger "${JAEGER_URL:-}" \
    '{note: "dev tokens signed with the local dev secret of scripts/dev.env; never for production",
      customers: $customers, admin: {id: $operator, token: $admin},
      jaeger_url: (if $jaeger == "" then null else $jaeger end)}'
}

start() {
  local nginx; nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$nginx" ] || { echo "error: nginx is missing (scripts/install-packages.sh installs it)" >&2; exit 1; }
  stop >/dev/null
  mkdir -p "$run"/tmp "$RUN_DIR/logs"
  local user="" logs=$RUN_DIR/logs
  # As root the workers run as nobody, and need to write their temporary files.
  if [ "$(id -u)" -eq 0 ]; then user="user nobody nogroup;"; chown -R nobody:nogroup "$run/tmp"; fi
  sed -e "s|@USER@|$user|" -e "s|@RUN@|$run|g" -e "s|@LOGS@|$logs|g" -e "s|@EDGE@|$PWD/edge|g" \
      -e "s|@WEB@|$PWD/web|g" -e "s|@MIME_TYPES@|/etc/nginx/mime.types|" \
      -e "s|@EDGE_ADDR@|$EDGE_ADDR|" -e "s|@CHECKOUT_ADDR@|$CHECKOUT_ADDR|" \
      -e "s|@ORDER_ADDR@|$ORDER_ADDR|" edge/nginx.conf.template >"$run/nginx.conf"
  config >"$run/config.json.new" && mv "$run/config.json.new" "$run/config.json"
  chmod 644 "$run/config.json"
  "$nginx" -q -e "$run/error.log" -c "$run/nginx.conf" -t
  "$nginx" -e "$run/error.log" -c "$run/nginx.conf"
  for _ in $(seq 1 50); do
    curl -fs -o /dev/null "http://$EDGE_ADDR/" && return 0
    sleep 0.1
  done
  echo "error: the edge does not answer on http://$EDGE_ADDR/; see $run/error.log" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/edge.sh start|stop" >&2; exit 2 ;;
esac
