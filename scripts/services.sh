#!/usr/bin/env bash
# The PostgreSQL and Redis that `make up`, `make test` and `make bench` use: a cluster of the
# project's own (initdb under the run folder) on 127.0.0.1:55432 and a Redis on 127.0.0.1:56379,
# started when they do not answer. Pointing PG_URL (a server URL, no database) or
# SESSION_STORE at servers you already run skips the one this script would start.
#   scripts/services.sh start | stop
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; source scripts/dev.env; set +a
# Another server named in PG_URL or SESSION_STORE is the user's own: left alone.
own_pg=; [ "$PG_URL" = "postgres://postgres@127.0.0.1:$PG_PORT" ] && own_pg=1
own_redis=; [ "$SESSION_STORE" = "redis://127.0.0.1:$REDIS_PORT" ] && own_redis=1
RUN_DIR=$(mkdir -p "${RUN_DIR:-.run}" && cd "${RUN_DIR:-.run}" && pwd)
mkdir -p "$RUN_DIR/logs"

pg_bin=$(dirname "$(readlink -f "$(command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")")
# Postgres refuses to run as root: as root, its tools run as the `postgres` user.
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
pg_data() {
  # The run folder when that user can reach it, else a folder of its own under /tmp.
  if [ ${#as_pg[@]} -eq 0 ] || "${as_pg[@]}" test -x "$RUN_DIR"; then
    echo "$RUN_DIR/postgres"
  else
    echo "/tmp/orderflow-postgres-$(cksum <<<"$RUN_DIR" | cut -d' ' -f1)"
  fi
}

wait_for() { # name, probe command...
  local name=$1; shift
  for _ in $(seq 1 120); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "error: $name did not come up" >&2; return 1
}

start_postgres() {
  [ -n "$own_pg" ] || return 0
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && return 0
  local data log=$RUN_DIR/logs/postgres.log
  data=$(pg_data)
  if [ ! -e "$data/PG_VERSION" ]; then
    echo "creating a PostgreSQL cluster in $data"
    mkdir -p "$data" && touch "$log"
    [ ${#as_pg[@]} -eq 0 ] || chown postgres "$data" "$log"
    "${as_pg[@]}" "$pg_bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data'
max_connections = 300
CONF
  fi
  echo "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
  wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
}

start_redis() {
  [ -n "$own_redis" ] || return 0
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
  mkdir -p "$RUN_DIR/redis"
  echo "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir "$RUN_DIR/redis" --pidfile "$RUN_DIR/redis.pid" \
    --logfile "$RUN_DIR/logs/redis.log"
  wait_for Redis redis-cli -p "$REDIS_PORT" ping
}

stop() {
  local data
  data=$(pg_data)
  if [ -e "$data/postmaster.pid" ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null && echo "stopped PostgreSQL"
  fi
  if [ -e "$RUN_DIR/redis.pid" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 && echo "stopped Redis"
    rm -f "$RUN_DIR/redis.pid"
  fi
}

case "${1:-start}" in
  start) start_postgres; start_redis ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
