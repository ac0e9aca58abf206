#!/bin/bash
# The postgres stand-in's entrypoint (docs/operations/images.md): what the official image's
# entrypoint does that orderflow relies on, written for Debian's PostgreSQL. On an empty PGDATA:
# initdb with POSTGRES_USER and POSTGRES_PASSWORD, password logins over TCP, then every
# /docker-entrypoint-initdb.d/*.sh (executable ones run, the others sourced) and *.sql against
# a server on the Unix socket only; then the server itself, as PID 1. Any uid runs it: one with
# no account gets one from nss_wrapper, as the official image does; root hands the data and
# socket folders to the postgres account and runs as that.
set -Eeuo pipefail

if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi

# docker-compose runs the image as root, as the official one is run: its entrypoint gives the
# folders to postgres and starts again as postgres (gosu there, setpriv here). Kubernetes runs
# it as its own uid with both folders mounted.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA" && chmod 3775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if ! getent passwd "$(id -u)" >/dev/null; then
  NSS_WRAPPER_PASSWD=$(mktemp) NSS_WRAPPER_GROUP=$(mktemp)
  export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP LD_PRELOAD=libnss_wrapper.so
  echo "postgres:x:$(id -u):$(id -g):PostgreSQL:$PGDATA:/bin/false" >"$NSS_WRAPPER_PASSWD"
  echo "postgres:x:$(id -g):" >"$NSS_WRAPPER_GROUP"
fi

: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
export POSTGRES_USER POSTGRES_DB
mkdir -p "$PGDATA" && chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres stand-in: POSTGRES_PASSWORD is required on an empty data directory" >&2
    exit 1
  fi
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of arguments
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-}
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.auto.conf"

  pg_ctl --pgdata="$PGDATA" --wait --options="-c listen_addresses=''" start
  if [ "$POSTGRES_DB" != postgres ]; then
    psql --username "$POSTGRES_USER" --dbname postgres --no-psqlrc -v ON_ERROR_STOP=1 \
      -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) echo "running $f"; psql --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        --no-psqlrc -v ON_ERROR_STOP=1 -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl --pgdata="$PGDATA" --wait --mode=fast stop
  echo "postgres stand-in: initialised $PGDATA"
fi
exec "$@"
