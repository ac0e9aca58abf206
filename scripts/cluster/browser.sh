#!/usr/bin/env bash
# The browser tests (tests/browser) against the storefront in the cluster: its pages and the API
# through the Ingress at URL, as a shopper reaches them; the console through
# `kubectl port-forward` to the storefront's console port, as an operator reaches it (no Service
# or policy exposes that port); the specs' SQL by psql inside the Postgres pod. The storefront
# there serves no dev tokens, so the specs paste tokens minted with scripts/token.sh.
#   scripts/cluster/browser.sh NAMESPACE URL
set -euo pipefail
cd "$(dirname "$0")/../.."
ns=${1:?usage: browser.sh NAMESPACE URL} url=${2:?usage: browser.sh NAMESPACE URL}
log=target/cluster/console-port-forward.log

# Port 0: kubectl picks a free local port and prints it.
kubectl -n "$ns" port-forward deployment/storefront :8081 >"$log" 2>&1 &
forward=$!
trap 'kill $forward 2>/dev/null || true' EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) -> 8081$/\1/p' "$log")
  [ -n "$port" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
  sleep 0.2
done
[ -n "$port" ] || { cat "$log" >&2; echo "browser.sh: the console's port-forward did not start" >&2; exit 1; }

# The Postgres superuser, by the local socket inside its pod (the image trusts local logins).
user=$(kubectl -n "$ns" get statefulset postgres \
  -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="POSTGRES_USER")].value}')
EDGE_URL=$url CONSOLE_URL=http://127.0.0.1:$port \
  PSQL="kubectl -n $ns exec -i postgres-0 -c postgres -- psql -U $user" \
  scripts/browser-test.sh
