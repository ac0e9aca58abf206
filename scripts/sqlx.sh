#!/usr/bin/env bash
# Compile-time checked queries. The sqlx::query! calls of the crates below are checked
# against freshly migrated databases; what they found is kept in .sqlx/, so builds need no
# database (SQLX_OFFLINE=true in .cargo/config.toml).
#   scripts/sqlx.sh prepare   rewrite .sqlx/
#   scripts/sqlx.sh check     fail when .sqlx/ is not what `prepare` would write now
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; source scripts/dev.env; set +a
mode=${1:?usage: scripts/sqlx.sh prepare|check}
export PGOPTIONS="-c client_min_messages=warning"
# The crates with checked queries; each one's sqlx.toml names the variable of its database.
crates=(crates/outbox crates/consumer crates/service-kit
        services/checkout-service services/order-service)
export SQLX_CHECKOUT_DATABASE_URL=$PG_URL/orderflow_sqlx_checkout
export SQLX_ORDER_DATABASE_URL=$PG_URL/orderflow_sqlx_order
scripts/services.sh start >/dev/null

for schema in checkout order; do
  db=orderflow_sqlx_$schema
  psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  for migration in migrations/"$schema"/*.sql; do
    psql -q "$PG_URL/$db" -v ON_ERROR_STOP=1 --single-transaction -f "$migration" >/dev/null
  done
done

# One compilation of every such crate writes the data of all their queries to one folder
# (sqlx writes where SQLX_OFFLINE_DIR says, for the whole build); the macros run again only
# for a crate compiled again, hence the touch.
out=$PWD/.sqlx
[ "$mode" = check ] && out=$PWD/target/sqlx-check
rm -rf "$out" && mkdir -p "$out"
packages=()
for dir in "${crates[@]}"; do
  touch "$dir/src/lib.rs"
  packages+=(-p "$(basename "$dir")")
done
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" "${CARGO:-cargo}" check -q "${packages[@]}" --lib
stale=
if [ "$mode" = check ] && ! diff -r .sqlx "$out" >&2; then stale=1; fi

for schema in checkout order; do
  psql -q "$PG_URL/postgres" -c "DROP DATABASE orderflow_sqlx_$schema WITH (FORCE)"
done
if [ -n "$stale" ]; then
  echo "error: .sqlx/ is not what the queries give against the migrations (above);" >&2
  echo "       run \`make sqlx-prepare\` and commit the result" >&2
  exit 1
fi
if [ "$mode" = check ]; then echo ".sqlx/ is current"; else echo "wrote .sqlx/ for ${crates[*]}"; fi
