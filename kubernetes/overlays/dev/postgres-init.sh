#!/usr/bin/env bash
# Run once by the postgres image's entrypoint, when it initialises an empty data directory
# (/docker-entrypoint-initdb.d): one login role and one database per service, each service
# owning its own database (docs/architecture.md, section 2), as production does with its
# bootstrap step. The passwords come from the Secret orderflow-dev-postgres, the same ones
# the services' DATABASE_URL carry. A database already initialised skips this script, so
# changing a password here needs the volume deleted (docs/operations/kind.md).
set -euo pipefail
psql --username "$POSTGRES_USER" --dbname postgres --no-psqlrc -v ON_ERROR_STOP=1 \
  -v checkout_password="$CHECKOUT_DB_PASSWORD" -v order_password="$ORDER_DB_PASSWORD" <<'SQL'
CREATE ROLE checkout_service LOGIN PASSWORD :'checkout_password';
CREATE DATABASE orderflow_checkout OWNER checkout_service;
REVOKE ALL ON DATABASE orderflow_checkout FROM PUBLIC;
CREATE ROLE order_service LOGIN PASSWORD :'order_password';
CREATE DATABASE orderflow_order OWNER order_service;
REVOKE ALL ON DATABASE orderflow_order FROM PUBLIC;
SQL
