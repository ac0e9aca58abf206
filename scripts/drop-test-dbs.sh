#!/usr/bin/env bash
# Drops the databases earlier test runs left (each test creates its own `orderflow_test_<uuid>`).
# Only those older than an hour: the name's UUIDv7 carries its creation time, so a test run
# going on beside this one (another clone, CI) keeps its databases.
set -euo pipefail
url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:55432/postgres}
cutoff_ms=$(( ($(date +%s) - 3600) * 1000 ))
psql -q "$url" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'orderflow\_test\_%'" |
  while read -r db; do
    hex=${db#orderflow_test_}
    [[ $hex =~ ^[0-9a-f]{12} ]] || continue
    (( 16#${hex:0:12} < cutoff_ms )) || continue
    psql -q "$url" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  done
