#!/usr/bin/env bash
# Apache Kafka for development, tests and chaos: the broker's jars from Maven Central, run with
# the machine's java in KRaft mode (no ZooKeeper).
#   scripts/kafka.sh install   fetches the jars into the cache folder (skipped when present)
#   scripts/kafka.sh start     the dev broker: one broker+controller on 127.0.0.1:9092, its log
#                              directory under the run folder (it keeps its data across restarts)
#   scripts/kafka.sh stop      stops the dev broker this script started
#   scripts/kafka.sh node DIR NODE_ID PORT CONTROLLER_PORT VOTERS [ADVERTISED]
#                              runs one node in the foreground (exec: the caller's child is the
#                              JVM, so a signal reaches the broker itself); DIR keeps its config
#                              and data. VOTERS is controller.quorum.voters, e.g.
#                              1@127.0.0.1:19193,2@127.0.0.1:19194,3@127.0.0.1:19195. Every node
#                              of one cluster needs the same KAFKA_CLUSTER_ID. Brokers talk to
#                              each other on PORT; KAFKA_EXTRA_LISTENERS adds client listeners,
#                              space-separated NAME:PORT:ADVERTISED_HOST:ADVERTISED_PORT[:PROTOCOL]
#                              (a client is told the addresses of the listener it came in on).
#                              PROTOCOL is PLAINTEXT (the default), SSL or SASL_SSL; TLS
#                              listeners need KAFKA_TLS_KEYSTORE, a PEM file holding the
#                              broker's PKCS#8 key and its certificate chain. SASL_SSL accepts
#                              SCRAM-SHA-512 for the users of KAFKA_SCRAM_USERS, space-separated
#                              NAME=PASSWORD, whose credentials are written when DIR is formatted.
set -euo pipefail
cd "$(dirname "$0")/.."

KAFKA_VERSION=4.1.1
SCALA_VERSION=2.13
LOG4J_VERSION=2.24.3
KAFKA_LIBS=${KAFKA_LIBS:-${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/kafka-$KAFKA_VERSION}
RUN_DIR=${RUN_DIR:-.run}
PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install() {
  [ -e "$KAFKA_LIBS/kafka_$SCALA_VERSION-$KAFKA_VERSION.jar" ] && return 0
  command -v mvn >/dev/null || { echo "error: mvn is needed to fetch Kafka's jars" >&2; exit 1; }
  echo "fetching Apache Kafka $KAFKA_VERSION from Maven Central (once)"
  local work
  work=$(mktemp -d)
  # The broker and what it needs at run time; log4j-slf4j-impl routes its slf4j logging to log4j2.
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.orderflow</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$SCALA_VERSION</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/libs"
  mkdir -p "$(dirname "$KAFKA_LIBS")"
  rm -rf "$KAFKA_LIBS"
  mv "$work/libs" "$KAFKA_LIBS"
  rm -rf "$work"
}

# The node's configuration, written once into DIR (tests and chaos reuse a DIR across restarts).
configure() { # dir node_id port controller_port voters advertised
  local dir=$1 id=$2 port=$3 cport=$4 voters=$5 advertised=$6
  local nodes replicas
  nodes=$(tr ',' '\n' <<<"$voters" | wc -l)
  replicas=$((nodes < 3 ? nodes : 3))
  local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
  local advertised_listeners="PLAINTEXT://$advertised"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  local extra name lport ahost aport protocol tls="" sasl=""
  for extra in ${KAFKA_EXTRA_LISTENERS:-}; do
    IFS=: read -r name lport ahost aport protocol <<<"$extra"
    protocol=${protocol:-PLAINTEXT}
    listeners+=",$name://127.0.0.1:$lport"
    advertised_listeners+=",$name://$ahost:$aport"
    protocols+=",$name:$protocol"
    case $protocol in
      PLAINTEXT) ;;
      SSL) tls=1 ;;
      SASL_SSL) tls=1; sasl+=" $(tr '[:upper:]' '[:lower:]' <<<"$name")" ;;
      *) echo "error: listener $name: protocol $protocol is not PLAINTEXT, SSL or SASL_SSL" >&2; exit 2 ;;
    esac
  done
  if [ -n "$tls" ] && [ ! -r "${KAFKA_TLS_KEYSTORE:-}" ]; then
    echo "error: a TLS listener needs KAFKA_TLS_KEYSTORE, a readable PEM key and certificate" >&2
    exit 2
  fi
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=$listeners
advertised.listeners=$advertised_listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$dir/data
# The internal topics are replicated like the application's topics.
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$(((replicas + 1) / 2))
min.insync.replicas=1
# A new group is balanced at once instead of after 3 s: tests start groups all the time.
group.initial.rebalance.delay.ms=0
# Longer than the 10 s freezes the tests and make chaos apply, so a frozen node is not fenced
# by its controller. With one node, fencing leaves every partition without a leader for a
# moment, and librdkafka 2.12 never recovers from that leader=-1 metadata
# (confluentinc/librdkafka#5430; docs/guarantees.md, "Known limits").
broker.session.timeout.ms=18000
num.network.threads=2
num.io.threads=4
PROPS
  if [ -n "$tls" ]; then
    # Clients verify the broker; the broker does not ask clients for certificates.
    cat >>"$dir/server.properties" <<PROPS
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_TLS_KEYSTORE
ssl.client.auth=none
PROPS
  fi
  if [ -n "$sasl" ]; then
    echo "sasl.enabled.mechanisms=SCRAM-SHA-512" >>"$dir/server.properties"
    for name in $sasl; do
      echo "listener.name.$name.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;" \
        >>"$dir/server.properties"
    done
  fi
  cat >"$dir/log4j2.properties" <<'LOG'
rootLogger.level=WARN
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.server.name=kafka.server.KafkaRaftServer
logger.server.level=INFO
LOG
}

java_opts() { # dir
  # shellcheck disable=SC2086 # the heap options are a list of words
  echo ${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$1/log4j2.properties"
}

node() { # dir node_id port controller_port voters [advertised]
  local dir=$1 id=$2 port=$3 cport=$4 voters=$5 advertised=${6:-127.0.0.1:$3}
  install
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  configure "$dir" "$id" "$port" "$cport" "$voters" "$advertised"
  if [ ! -e "$dir/data/meta.properties" ]; then
    local cluster_id=${KAFKA_CLUSTER_ID:-}
    [ -n "$cluster_id" ] || { echo "error: KAFKA_CLUSTER_ID is not set" >&2; exit 2; }
    # --cluster-id=: an id may start with "-", which the tool would take for an option.
    # shellcheck disable=SC2046
    # SCRAM credentials live in the cluster's metadata: a KRaft cluster gets its first ones
    # when it is formatted, before any listener could authenticate a client to add them.
    local scram=() user
    for user in ${KAFKA_SCRAM_USERS:-}; do
      scram+=(--add-scram "SCRAM-SHA-512=[name=${user%%=*},password=${user#*=}]")
    done
    java $(java_opts "$dir") -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
      --ignore-formatted --cluster-id="$cluster_id" -c "$dir/server.properties" "${scram[@]}" \
      >"$dir/format.log" 2>&1 ||
      { cat "$dir/format.log" >&2; exit 1; }
  fi
  # shellcheck disable=SC2046
  exec env -u OTEL_EXPORTER_OTLP_ENDPOINT java $(java_opts "$dir") -cp "$KAFKA_LIBS/*" \
    kafka.Kafka "$dir/server.properties"
}

# A cluster id: 16 random bytes, base64url without padding, as Kafka's own tool makes them.
new_cluster_id() { head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22; }

start() {
  if listening "$PORT"; then exit 0; fi
  install
  local dir=$RUN_DIR/kafka pidfile=$RUN_DIR/kafka.pid
  mkdir -p "$dir" "$RUN_DIR/logs"
  [ -e "$dir/cluster.id" ] || new_cluster_id >"$dir/cluster.id"
  KAFKA_CLUSTER_ID=$(cat "$dir/cluster.id") nohup "$0" node "$dir" 1 "$PORT" "$CONTROLLER_PORT" \
    "1@127.0.0.1:$CONTROLLER_PORT" >>"$RUN_DIR/logs/kafka.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 240); do
    if listening "$PORT"; then echo "Kafka $KAFKA_VERSION on 127.0.0.1:$PORT"; exit 0; fi
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.25
  done
  echo "error: Kafka did not start; see $RUN_DIR/logs/kafka.log" >&2
  exit 1
}

stop() {
  local pidfile=$RUN_DIR/kafka.pid
  [ -e "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    # SIGTERM: a controlled shutdown, so the next start needs no log recovery.
    kill -TERM "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped Kafka"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  node) shift; node "$@" ;;
  libs) install; echo "$KAFKA_LIBS" ;;
  *) echo "usage: $0 install|start|stop|libs|node DIR NODE_ID PORT CONTROLLER_PORT VOTERS [ADVERTISED]" >&2; exit 2 ;;
esac
