#!/usr/bin/env bash
# Builds the Go programs of docker-compose's stand-in images from the Go module proxy, once, into
# the cache folder (scripts/images.sh compose puts them in images): the OpenTelemetry Collector
# with the components of docker/otel-collector.yaml (our own main, otelcol/main.go) and Jaeger's
# all-in-one. Each is a wrapper module under $COMPOSE_CACHE/src; a program is rebuilt only when
# what it is built from changes (the stamp NAME.version beside it records that).
#   scripts/compose/build.sh            build what is missing
#   scripts/compose/build.sh --print    print the folder the programs are in
set -euo pipefail
cd "$(dirname "$0")"
# The images' releases. otel/opentelemetry-collector-contrib:0.115.1 is a re-release of the
# distribution, made the day of 0.115.0; no collector module has a v0.115.1, so its components
# are the v0.115.0 modules (the stable ones v1.21.0).
OTELCOL_VERSION=v0.115.0
OTELCOL_STABLE_VERSION=v1.21.0
JAEGER_VERSION=v1.64.0
COMPOSE_CACHE=${COMPOSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/compose}
BIN=$COMPOSE_CACHE/bin
[ "${1:-}" = --print ] && { echo "$BIN"; exit 0; }
mkdir -p "$BIN" "$COMPOSE_CACHE/src"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

built() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$BIN/$1.version"; }
need_go() { command -v go >/dev/null || { echo "compose/build.sh: Go is needed" >&2; exit 1; }; }

# wrapper NAME [REQUIRE|REPLACE...]: a fresh module; "A => B" lines become replace directives,
# the others (MODULE VERSION) requirements, so `go build` resolves as the modules' go.mod say.
wrapper() {
  local dir=$COMPOSE_CACHE/src/$1 line
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  {
    printf 'module local.orderflow/%s\n\ngo 1.22.7\n\n' "${dir##*/}"
    for line in "$@"; do
      if [[ "$line" == *"=>"* ]]; then echo "replace $line"; else echo "require $line"; fi
    done
  } >"$dir/go.mod"
  echo "$dir"
}

collector() {
  local v=$OTELCOL_VERSION s=$OTELCOL_STABLE_VERSION id dir c
  id="$v $(sha256sum otelcol/main.go | cut -c1-12)"
  built otelcol-contrib "$id" && return 0
  need_go
  echo "building the OpenTelemetry Collector $v (about a minute on 2 cores, once)"
  local t=$SECONDS
  local mods=("go.opentelemetry.io/collector/otelcol $v"
    "go.opentelemetry.io/collector/receiver/otlpreceiver $v"
    "go.opentelemetry.io/collector/processor/batchprocessor $v"
    "go.opentelemetry.io/collector/processor/memorylimiterprocessor $v"
    "go.opentelemetry.io/collector/exporter/debugexporter $v"
    "go.opentelemetry.io/collector/exporter/otlpexporter $v"
    "go.opentelemetry.io/collector/confmap/provider/envprovider $s"
    "go.opentelemetry.io/collector/confmap/provider/fileprovider $s"
    "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension $v")
  dir=$(wrapper otelcol-contrib "${mods[@]}")
  cp otelcol/main.go "$dir/"
  (
    cd "$dir" && go mod tidy
    # One release throughout: a component that pulled another collector release in would
    # build, and behave as neither.
    c=$(grep -E 'go\.opentelemetry\.io/collector|opentelemetry-collector-contrib' go.mod |
      grep -vE " ($v|$s)( |$)" || true)
    [ -z "$c" ] || { echo "compose/build.sh: collector modules off $v/$s:" >&2; echo "$c" >&2; exit 1; }
    go build -trimpath -ldflags "-s -w -X main.version=${v#v}" -o "$BIN/otelcol-contrib" .
  )
  stamp otelcol-contrib "$id"
  echo "otelcol-contrib: $((SECONDS - t)) s"
}

# Jaeger's all-in-one as its release builds it, less the UI's assets (a separate npm build):
# its UI answers with Jaeger's placeholder page; the HTTP API the test reads is all there.
jaeger() {
  local v=$JAEGER_VERSION dir p=github.com/jaegertracing/jaeger/pkg/version
  built jaeger-all-in-one "$v" && return 0
  need_go
  echo "building Jaeger all-in-one $v (about 2 minutes on 2 cores, once)"
  local t=$SECONDS
  # Jaeger's go.mod pins sarama with a replace; a replace binds only the main module, so the
  # wrapper repeats it.
  dir=$(wrapper jaeger "github.com/jaegertracing/jaeger $v" \
    "github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0")
  (
    cd "$dir" && go get "github.com/jaegertracing/jaeger/cmd/all-in-one@$v"
    go build -trimpath -ldflags "-s -w -X $p.latestVersion=$v -X $p.date=1970-01-01T00:00:00Z" \
      -o "$BIN/jaeger-all-in-one" github.com/jaegertracing/jaeger/cmd/all-in-one
    cp "$(go list -m -f '{{.Dir}}' github.com/jaegertracing/jaeger)/cmd/all-in-one/sampling_strategies.json" \
      "$BIN/jaeger-sampling_strategies.json"
    chmod 0644 "$BIN/jaeger-sampling_strategies.json"
  )
  stamp jaeger-all-in-one "$v"
  echo "jaeger-all-in-one: $((SECONDS - t)) s"
}

collector
jaeger
echo "compose programs are in $BIN"
