#!/usr/bin/env bash
# The container images, built on this machine with Docker's legacy builder:
#   scripts/images.sh bases      the images the Dockerfiles start FROM and the dev overlay's and
#                                docker-compose's stores, pulled where a registry answers,
#                                otherwise built here as stand-ins under the same names from
#                                Debian's packages (docs/operations/images.md says which is what)
#   scripts/images.sh base NAME  one of those
#   scripts/images.sh build      bases, then docker/*.Dockerfile as they are, tagged with the
#                                names the dev overlay and docker-compose run
#   scripts/images.sh compose    bases, then the other images docker-compose runs (the
#                                OpenTelemetry Collector, Jaeger, Prometheus), pulled or stand-ins
#                                holding programs built by scripts/compose/build.sh; Grafana has
#                                none (docs/operations/images.md)
#   scripts/images.sh list       the names of the images the dev overlay runs
# A stand-in is rebuilt only when its recipe (this script, docker/stand-ins/, the programs'
# stamps) changes.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOCKER_BUILDKIT=0
# Every stand-in passes through one temporary image name: two runs at once take turns.
exec 9>"${TMPDIR:-/tmp}/orderflow-images.lock"
flock -w 3600 9 || { echo "images.sh: another run has held the lock for an hour" >&2; exit 1; }
STAND_IN_LABEL=org.orderflow.stand-in
SUITE=bookworm

# recipe BUILDER: what a stand-in is made from: its builder's code and the stand-in files it names.
recipe() {
  local code f
  code=$(declare -f "$1" debian_image)
  {
    echo "$code"
    for f in docker/stand-ins/*; do
      [[ "$code" == *"/${f##*/}"* ]] && cat "$f"
    done
    # A program of scripts/compose/build.sh: its stamp says what it was built from.
    for f in "$COMPOSE_BIN"/*.version; do
      [[ "$code" == *"\$COMPOSE_BIN/$(basename "$f" .version)"* ]] && cat "$f"
    done
  } | sha256sum | cut -c1-16
}

# present NAME BUILDER: the image exists, pulled, or built from BUILDER's current recipe.
present() {
  local label
  label=$(docker image inspect -f "{{ index .Config.Labels \"$STAND_IN_LABEL\" }}" "$1" 2>/dev/null) ||
    return 1
  [ "$label" = "<no value>" ] || [ "$label" = "$(recipe "$2")" ]
}

registry_answers() {
  [ -z "${ORDERFLOW_STAND_INS:-}" ] &&
    curl -s -o /dev/null --max-time 5 https://registry-1.docker.io/v2/
}

# debian_image NAME VARIANT PACKAGES HOOK [INSTRUCTION...]: a Debian root file system made by
# mmdebstrap from Debian's packages, with HOOK run on it (its folder is $1), imported, then
# given the image settings INSTRUCTION (Dockerfile lines: USER, ENV, CMD, STOPSIGNAL, ...).
debian_image() {
  local name=$1 variant=$2 packages=$3 hook=$4 rootfs=orderflow-stand-in-rootfs:latest
  shift 4
  echo "building the stand-in $name (mmdebstrap, Debian $SUITE)"
  mmdebstrap --quiet --variant="$variant" ${packages:+--include="$packages"} \
    --aptopt='APT::Install-Recommends "false"' \
    --customize-hook="$hook" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/usr/share/doc/* "$1"/usr/share/man/*' \
    "$SUITE" - | docker import - "$rootfs" >/dev/null
  printf '%s\n' "FROM $rootfs" "LABEL $STAND_IN_LABEL=$(recipe "${FUNCNAME[1]}")" "$@" |
    docker build --quiet -t "$name" - >/dev/null
  docker rmi "$rootfs" >/dev/null
}

# Reads the stand-in files from the hook: mmdebstrap runs hooks from this folder.
STAND_INS=$PWD/docker/stand-ins
COMPOSE_BIN=$(scripts/compose/build.sh --print)

# The build image trusts the CA certificates this machine added to Debian's (a network that
# inspects TLS has one), so cargo reaches crates.io from inside the build as it does here.
rust_base() {
  local toolchain
  toolchain=$(rustc --print sysroot)
  debian_image rust:1.95-bookworm apt \
    ca-certificates,curl,git,gcc,g++,make,libc6-dev,pkg-config,file,patch,xz-utils,libssl-dev,zlib1g-dev \
    "set -e; t=\"\$1/usr/local/rustup/toolchains/1.95.0-x86_64-unknown-linux-gnu\"; mkdir -p \"\$t\" \"\$1/usr/local/cargo/bin\"
     cp -a '$toolchain'/bin '$toolchain'/lib '$toolchain'/libexec \"\$t\"/
     for b in \"\$t\"/bin/*; do ln -s \"/usr/local/rustup/toolchains/1.95.0-x86_64-unknown-linux-gnu/bin/\${b##*/}\" \"\$1/usr/local/cargo/bin/\"; done
     cp /usr/local/share/ca-certificates/*.crt \"\$1/usr/local/share/ca-certificates/\" 2>/dev/null || true
     chroot \"\$1\" update-ca-certificates >/dev/null" \
    'ENV RUSTUP_HOME=/usr/local/rustup' 'ENV CARGO_HOME=/usr/local/cargo' \
    'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV RUST_VERSION=1.95.0' 'CMD ["bash"]'
}

# distroless/cc: glibc, libssl, libgcc and libstdc++, CA certificates, time zones, the nonroot
# account (65532) and no shell, no package manager.
distroless_base() {
  debian_image gcr.io/distroless/cc-debian12:nonroot extract \
    base-files,netbase,libc6,libssl3,libgcc-s1,libstdc++6,libgomp1 \
    "set -e; r=\"\$1\"; mkdir -p \"\$r/etc/ssl/certs\" \"\$r/home/nonroot\" \"\$r/tmp\" \"\$r/usr/share\"
     cp /etc/ssl/certs/ca-certificates.crt \"\$r/etc/ssl/certs/\"
     cp -a /usr/share/zoneinfo \"\$r/usr/share/\"
     printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >\"\$r/etc/passwd\"
     printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >\"\$r/etc/group\"
     chown 65532:65532 \"\$r/home/nonroot\"; chmod 1777 \"\$r/tmp\"
     rm -rf \"\$r/var/lib/dpkg\" \"\$r/etc/apt\" \"\$r\"/bin/*sh \"\$r\"/usr/bin/*sh" \
    'USER 65532' 'WORKDIR /home/nonroot' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'
}

# wget: docker-compose's healthcheck runs it, as the official Alpine image has BusyBox's.
nginx_base() {
  debian_image nginxinc/nginx-unprivileged:1.27.3-alpine apt nginx,wget \
    "set -e; r=\"\$1\"; cp '$STAND_INS/nginx.conf' \"\$r/etc/nginx/nginx.conf\"
     rm -rf \"\$r/etc/nginx/sites-enabled\" \"\$r/etc/nginx/sites-available\"
     mkdir -p \"\$r/etc/nginx/conf.d\" \"\$r/usr/share/nginx/html\"
     printf 'server {\n    listen 8080;\n    location / { root /usr/share/nginx/html; }\n}\n' >\"\$r/etc/nginx/conf.d/default.conf\"
     echo '<p>nginx</p>' >\"\$r/usr/share/nginx/html/index.html\"
     ln -sf /dev/stdout \"\$r/var/log/nginx/access.log\"; ln -sf /dev/stderr \"\$r/var/log/nginx/error.log\"
     chroot \"\$r\" groupadd --system --gid 101 nginx
     chroot \"\$r\" useradd --system --uid 101 --gid 101 --no-create-home --home /nonexistent --shell /bin/false nginx" \
    'USER 101' 'EXPOSE 8080' 'STOPSIGNAL SIGQUIT' \
    'CMD ["nginx", "-g", "daemon off;"]'
}

postgres_base() {
  debian_image postgres:16.6-bookworm apt postgresql-15,libnss-wrapper \
    "set -e; r=\"\$1\"; rm -rf \"\$r/var/lib/postgresql/15\" \"\$r/etc/postgresql/15\"
     install -m 0755 '$STAND_INS/postgres-entrypoint.sh' \"\$r/usr/local/bin/docker-entrypoint.sh\"
     mkdir -p \"\$r/var/run/postgresql\" \"\$r/var/lib/postgresql/data\" \"\$r/docker-entrypoint-initdb.d\"
     chmod 3777 \"\$r/var/run/postgresql\"; chmod 1777 \"\$r/var/lib/postgresql/data\"" \
    'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV PGDATA=/var/lib/postgresql/data' 'ENV LANG=C.UTF-8' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]' \
    'STOPSIGNAL SIGINT' 'EXPOSE 5432'
}

redis_base() {
  debian_image redis:7.4.1-bookworm apt redis-server \
    "set -e; r=\"\$1\"; install -m 0755 '$STAND_INS/redis-entrypoint.sh' \"\$r/usr/local/bin/docker-entrypoint.sh\"
     mkdir -p \"\$r/data\"; chmod 1777 \"\$r/data\"" \
    'WORKDIR /data' 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["redis-server"]' 'EXPOSE 6379'
  docker tag redis:7.4.1-bookworm redis:7.4-bookworm
}

# kafka-tools (kafka-topics.sh's TopicCommand) and what it needs beside the broker's jars, from
# Maven Central into the cache, once.
kafka_tools() {
  local dir=${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/kafka-tools-4.1.1 work
  if [ ! -e "$dir/kafka-tools-4.1.1.jar" ]; then
    work=$(mktemp -d)
    printf '%s' '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
      <groupId>local.orderflow</groupId><artifactId>kafka-tools</artifactId><version>1</version>
      <packaging>pom</packaging><dependencies><dependency><groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId><version>4.1.1</version></dependency></dependencies>
      </project>' >"$work/pom.xml"
    mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$work/libs" >&2
    rm -rf "$dir" && mv "$work/libs" "$dir" && rm -rf "$work"
  fi
  echo "$dir"
}

kafka_base() {
  local libs tools
  scripts/kafka.sh install
  libs=${KAFKA_LIBS:-${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/kafka-4.1.1}
  tools=$(kafka_tools)
  debian_image apache/kafka:4.1.1 apt openjdk-17-jre-headless \
    "set -e; r=\"\$1\"; mkdir -p \"\$r/opt/kafka/libs\" \"\$r/opt/kafka/bin\" \"\$r/opt/kafka/defaults\" \"\$r/opt/kafka/config\" \"\$r/opt/kafka/logs\" \"\$r/etc/kafka/docker\"
     cp '$libs'/*.jar \"\$r/opt/kafka/libs/\"
     cp -n '$tools'/*.jar \"\$r/opt/kafka/libs/\"
     cp '$STAND_INS/kafka-log4j2.properties' \"\$r/opt/kafka/defaults/log4j2.properties\"
     install -m 0755 '$STAND_INS/kafka-run.sh' \"\$r/etc/kafka/docker/run\"
     install -m 0755 '$STAND_INS/kafka-topics.sh' \"\$r/opt/kafka/bin/kafka-topics.sh\"
     install -m 0755 '$STAND_INS/kafka-broker-api-versions.sh' \"\$r/opt/kafka/bin/kafka-broker-api-versions.sh\"
     chroot \"\$r\" useradd --uid 1000 --home-dir /home/appuser --create-home --shell /bin/bash appuser
     chmod 777 \"\$r/opt/kafka/config\" \"\$r/opt/kafka/logs\"" \
    'USER appuser' 'EXPOSE 9092' 'CMD ["/etc/kafka/docker/run"]'
}

# debian:bookworm-slim: the local cluster's storage helper runs its shell scripts in it.
slim_base() {
  debian_image debian:bookworm-slim minbase "" true 'CMD ["bash"]'
}

# otel/opentelemetry-collector-contrib: our build of the collector (scripts/compose/otelcol) on
# an empty image, as the official one is: the one static program, CA certificates, a default
# configuration, user 10001, no shell.
collector_image() {
  local context
  context=$(mktemp -d)
  mkdir -p "$context/root/etc/otelcol-contrib" "$context/root/etc/ssl/certs"
  install -m 0755 "$COMPOSE_BIN/otelcol-contrib" "$context/root/otelcol-contrib"
  cp "$STAND_INS/otelcol-config.yaml" "$context/root/etc/otelcol-contrib/config.yaml"
  cp /etc/ssl/certs/ca-certificates.crt "$context/root/etc/ssl/certs/"
  echo "building the stand-in otel/opentelemetry-collector-contrib:0.115.1 (FROM scratch)"
  printf '%s\n' 'FROM scratch' "LABEL $STAND_IN_LABEL=$(recipe collector_image)" 'COPY root/ /' \
    'USER 10001' 'EXPOSE 4317 4318 55679' 'ENTRYPOINT ["/otelcol-contrib"]' \
    'CMD ["--config", "/etc/otelcol-contrib/config.yaml"]' >"$context/Dockerfile"
  docker build --quiet -t otel/opentelemetry-collector-contrib:0.115.1 "$context" >/dev/null
  rm -rf "$context"
}

# jaegertracing/all-in-one: Jaeger's own all-in-one program (scripts/compose/build.sh) at the
# official image's path and user, on Debian minbase for the wget compose's healthcheck runs.
jaeger_image() {
  debian_image jaegertracing/all-in-one:1.64.0 minbase wget \
    "set -e; r=\"\$1\"; mkdir -p \"\$r/go/bin\" \"\$r/etc/jaeger\"
     install -m 0755 '$COMPOSE_BIN/jaeger-all-in-one' \"\$r/go/bin/all-in-one-linux\"
     install -m 0644 '$COMPOSE_BIN/jaeger-sampling_strategies.json' \"\$r/etc/jaeger/sampling_strategies.json\"" \
    'ENV SAMPLING_STRATEGIES_FILE=/etc/jaeger/sampling_strategies.json' \
    'EXPOSE 4317 4318 9411 14250 14268 14269 16686' 'VOLUME ["/tmp"]' \
    'USER 10001' 'ENTRYPOINT ["/go/bin/all-in-one-linux"]'
}

# prom/prometheus: Debian's Prometheus 2.42 (its promtool accepts docker/prometheus/ as it is)
# and wget, with the official image's entrypoint, arguments, data folder and user.
prometheus_image() {
  debian_image prom/prometheus:v3.0.1 minbase prometheus,wget \
    "set -e; r=\"\$1\"; mkdir -p \"\$r/prometheus\"; chown 65534:65534 \"\$r/prometheus\"" \
    'USER nobody' 'WORKDIR /prometheus' 'VOLUME ["/prometheus"]' 'EXPOSE 9090' \
    'ENTRYPOINT ["/bin/prometheus"]' \
    'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]'
}

# What docker-compose runs beyond orderflow's own images. No stand-in for grafana/grafana (nor
# the loadtest profile's grafana/k6): Debian has no Grafana, and the Go module proxy refuses
# github.com/grafana/grafana, whose web front end is a separate npm build besides.
compose() {
  local stand_in=1 image t
  local -A builders=(
    [otel/opentelemetry-collector-contrib:0.115.1]=collector_image
    [jaegertracing/all-in-one:1.64.0]=jaeger_image [prom/prometheus:v3.0.1]=prometheus_image)
  bases
  registry_answers && stand_in=0
  [ $stand_in = 0 ] || scripts/compose/build.sh
  for image in "${!builders[@]}"; do
    present "$image" "${builders[$image]}" && continue
    t=$SECONDS
    if [ $stand_in = 0 ]; then docker pull "$image"; else "${builders[$image]}"; fi
    echo "$image: $((SECONDS - t)) s"
  done
  if [ $stand_in = 0 ] && ! docker image inspect grafana/grafana:11.3.1 >/dev/null 2>&1; then
    docker pull grafana/grafana:11.3.1
  fi
}

declare -A BUILDERS=(
  [rust:1.95-bookworm]=rust_base [gcr.io/distroless/cc-debian12:nonroot]=distroless_base
  [nginxinc/nginx-unprivileged:1.27.3-alpine]=nginx_base [postgres:16.6-bookworm]=postgres_base
  [redis:7.4.1-bookworm]=redis_base [apache/kafka:4.1.1]=kafka_base
  [debian:bookworm-slim]=slim_base)

# base NAME: one of the images above, present, pulled or built as its stand-in.
base() {
  local builder=${BUILDERS[$1]:?"no recipe for the image $1"}
  present "$1" "$builder" && return 0
  if registry_answers; then docker pull "$1"; else "$builder"; fi
}

bases() {
  local image
  for image in "${!BUILDERS[@]}"; do base "$image"; done
}

# The dev overlay's image names, as it renders them (promote.yml moves the tags).
list() {
  kubectl kustomize kubernetes/overlays/dev | awk '$1 == "image:" || $2 == "image:" { print $NF }' | sort -u
}

build() {
  bases
  local service image
  for service in checkout-service order-service storefront; do
    image=$(list | grep -m1 "/orderflow/$service:") || image=orderflow/$service:dev
    echo "docker build $service -> $image"
    docker build --quiet -f "docker/$service.Dockerfile" -t "$image" -t "orderflow/$service:dev" . >/dev/null
  done
}

case "${1:-}" in
  bases) bases ;;
  base) base "${2:?usage: images.sh base NAME}" ;;
  build) build ;;
  compose) compose ;;
  list) list ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
