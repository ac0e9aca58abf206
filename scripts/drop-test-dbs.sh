#!/usr/bin/env bash
# Drops the databases earlier test runs left (each test creates its own `orderflow_test_*`).
set -euo pipefail
url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:55432/postgres}
psql -q "$url" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'orderflow\_test\_%'" |
  while read -r db; do [ -n "$db" ] && psql -q "$url" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; done
