#!/usr/bin/env bash
# `make compose-test`: docker-compose.yml as it is, on this machine's Docker engine, proven end to
# end (docs/operations/docker.md): the images built where missing (orderflow's three, the stores'
# and observability's stand-ins), every service up, the long-running ones healthy and the one-shot
# ones exited 0; one checkout through the storefront's edge on 127.0.0.1:8000; then that
# checkout's trace, with spans of both services, read back from Jaeger, where only the
# OpenTelemetry Collector sends spans. Grafana is left out where its image is missing: nothing
# here can build it. The stack is taken down, volumes and all, however the test ends.
#   COMPOSE_TEST_TIMEOUT   seconds for the stack to come up healthy (default 600)
set -euo pipefail
cd "$(dirname "$0")/../.."
PROJECT=orderflow-compose-test
EDGE=http://127.0.0.1:8000
JAEGER=http://127.0.0.1:16686
TIMEOUT=${COMPOSE_TEST_TIMEOUT:-600}
fail() { echo "compose-test: FAIL: $*" >&2; exit 1; }
quiet_docker() { grep -v "DEPRECATED\|BuildKit is currently\|environment-variable\.\|^$" >&2 || true; }
t0=$(date +%s)
step_start=$t0
timings=()
step() { # records how long the step just ended took
  local now
  now=$(date +%s)
  timings+=("$1: $((now - step_start)) s")
  echo "== $1: $((now - step_start)) s"
  step_start=$now
}

scripts/docker-engine.sh start
# The Compose v2 plugin where it is installed, otherwise Debian's docker-compose 1.29 (v1).
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  command -v docker-compose >/dev/null || fail "neither docker compose nor docker-compose is installed"
  compose=(docker-compose)
fi
compose+=(-p "$PROJECT" -f docker-compose.yml)

# Images: the bases, the stores' and the observability services' (each rebuilt only when its
# recipe changed), then orderflow's own where one is missing or was built on an older base than
# the one now present (a rebuild of the code is `make images`).
scripts/images.sh compose 2> >(quiet_docker)
layers() { docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' "$1" 2>/dev/null; }
for service in checkout-service order-service storefront; do
  base=$(awk '$1 == "FROM" { b = $2 } END { print b }' "docker/$service.Dockerfile")
  top=$(layers "$base" | grep . | tail -1)
  layers "orderflow/$service:dev" | grep -qxF "$top" && continue
  scripts/images.sh build 2> >(quiet_docker)
  break
done
step "images present"

# What to start: every service outside a profile (k6's loadtest is one), less Grafana when its
# image is missing. `kind` is once (others wait for it to complete), healthy, or running.
plan=$("${compose[@]}" config | python3 -c '
import sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
once = {dep for s in services.values() for dep, c in (s.get("depends_on") or {}).items()
        if isinstance(c, dict) and c.get("condition") == "service_completed_successfully"}
for name, s in services.items():
    if s.get("profiles"):
        continue
    kind = "once" if name in once else "healthy" if s.get("healthcheck") else "running"
    print(name, kind, s["image"])
')
services=()
declare -A kind=()
while read -r name k image; do
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    [ "$name" = grafana ] || fail "the image $image of $name is missing"
    echo "compose-test: leaving out grafana: no image $image here (no registry, no stand-in)"
    continue
  fi
  services+=("$name")
  kind[$name]=$k
done <<<"$plan"

cleanup() {
  local rc=$?
  echo "compose-test: down -v"
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  exit $rc
}
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
# The ports compose publishes on 127.0.0.1; `make up` uses some of the same.
ports=(5433 8000 8080 8081 9090 16686)
[ -z "${kind[grafana]:-}" ] || ports+=(3000)
for port in "${ports[@]}"; do
  ! ss -Hltn "sport = :$port" | grep -q . ||
    fail "127.0.0.1:$port is taken (by \`make up\`? \`make down\` stops it): compose publishes it"
done
trap cleanup EXIT
trap 'exit 130' INT TERM
step "ready to start"

# logs_of NAME: the last lines of a service's container and of its failing healthcheck.
logs_of() {
  local id
  id=$("${compose[@]}" ps -a -q "$1" 2>/dev/null || true)
  [ -n "$id" ] || { echo "--- $1: no container (what it depends on did not get ready)"; return; }
  echo "--- $1: the last lines of its log"
  "${compose[@]}" logs --no-color --tail=40 "$1" 2>&1 | tail -40
  docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}{{printf "exit %d: %s\n" .ExitCode .Output}}{{end}}{{end}}' \
    "$id" | grep . | tail -6 | sed "s/^/--- $1's healthcheck: /"
}
# verdict NAME: ok (healthy, running, or exited 0, as its kind wants), wait, or bad.
verdict() {
  local id status health code
  id=$("${compose[@]}" ps -a -q "$1" 2>/dev/null || true)
  [ -n "$id" ] || { echo wait; return; }
  read -r status health code < <(docker inspect -f \
    '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}' "$id")
  case "${kind[$1]}:$status:$health:$code" in
    once:exited:*:0 | healthy:running:healthy:* | running:running:*) echo ok ;;
    *:exited:* | *:dead:* | healthy:running:unhealthy:*) echo bad ;;
    *) echo wait ;;
  esac
}

echo "compose-test: ${compose[*]} up -d ${services[*]}"
up_start=$(date +%s)
# Compose itself waits for each dependency's condition; the timeout bounds a wait that hangs.
rc=0
timeout "$TIMEOUT" "${compose[@]}" up -d "${services[@]}" || rc=$?
if [ $rc != 0 ]; then
  "${compose[@]}" ps -a
  for s in "${services[@]}"; do [ "$(verdict "$s")" = ok ] || logs_of "$s"; done
  [ $rc = 124 ] && fail "docker compose up was still waiting after $TIMEOUT s"
  fail "docker compose up failed (exit $rc): a service it waited for did not get ready"
fi
# Then every service in its final state (compose returns once the last one has started).
while :; do
  pending=()
  for s in "${services[@]}"; do
    case $(verdict "$s") in
      ok) ;;
      bad) "${compose[@]}" ps -a; logs_of "$s"; fail "$s failed (expected: ${kind[$s]})" ;;
      *) pending+=("$s") ;;
    esac
  done
  [ ${#pending[@]} -eq 0 ] && break
  if [ $(($(date +%s) - up_start)) -ge "$TIMEOUT" ]; then
    "${compose[@]}" ps -a
    for s in "${pending[@]}"; do logs_of "$s"; done
    fail "not in their final state within $TIMEOUT s: ${pending[*]}"
  fi
  sleep 2
done
"${compose[@]}" ps -a
step "stack up and healthy (${#services[@]} services)"

out=$(scripts/cluster/checkout.sh "$EDGE") || fail "the checkout through $EDGE failed"
echo "$out"
step "checkout through the edge"

# That checkout's trace: the order records the trace its checkout started (an admin token reads
# any order); Jaeger has it only through the collector.
order=$(sed -n 's/.*order \([0-9a-f-]\{36\}\) CONFIRMED.*/\1/p' <<<"$out")
[ -n "$order" ] || fail "no order id in: $out"
admin=$(scripts/token.sh compose-test 1)
trace=$(curl -sf "$EDGE/v1/orders/$order" -H "Authorization: Bearer $admin" | jq -er .trace_id) ||
  fail "order $order has no trace_id"
names=""
for _ in $(seq 60); do
  names=$(curl -sf "$JAEGER/api/traces/$trace" |
    jq -r '[.data[0].processes[].serviceName] | unique | join(" ")' 2>/dev/null || true)
  [[ " $names " == *" checkout-service "* && " $names " == *" order-service "* ]] && break
  sleep 1
done
[[ " $names " == *" checkout-service "* && " $names " == *" order-service "* ]] ||
  fail "Jaeger's trace $trace has spans of [${names}], not of both services, after 60 s"
spans=$(curl -sf "$JAEGER/api/traces/$trace" | jq '.data[0].spans | length')
echo "trace $trace in Jaeger: $spans spans of $names"
echo "Jaeger's services: $(curl -sf "$JAEGER/api/services" | jq -r '.data | sort | join(" ")')"
# The collector's own count, from its telemetry endpoint (localhost:8888 in its container, which
# has no shell): read with wget from a container sharing its network namespace.
collector=$("${compose[@]}" ps -q otel-collector)
metrics=$(docker run --rm --network "container:$collector" --entrypoint wget \
  jaegertracing/all-in-one:1.64.0 -q -O - http://localhost:8888/metrics 2>/dev/null || true)
count() { awk -v m="$1" '$1 ~ "^" m "(_total)?[{ ]" { n += $2 } END { printf "%d", n }' <<<"$metrics"; }
if [ -n "$metrics" ]; then
  echo "collector: $(count otelcol_receiver_accepted_spans) spans accepted," \
    "$(count otelcol_exporter_sent_spans) sent on, $(count otelcol_exporter_send_failed_spans) failed"
  [ "$(count otelcol_receiver_accepted_spans)" -gt 0 ] || fail "the collector counts no accepted span"
else
  echo "collector: its telemetry endpoint did not answer (the trace above passed through it)"
fi
step "the checkout's trace in Jaeger"

echo "compose-test: PASS (${compose[*]}; $(( $(date +%s) - t0 )) s)"
printf '  %s\n' "${timings[@]}"
