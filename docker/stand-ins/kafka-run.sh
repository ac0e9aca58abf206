#!/bin/bash
# The Apache Kafka stand-in's entrypoint (docs/operations/images.md). Like apache/kafka: every
# KAFKA_* variable is a broker setting (KAFKA_LOG_DIRS is log.dirs: one underscore a dot, two
# an underscore, three a dash), written into /opt/kafka/config/server.properties on every
# start; CLUSTER_ID formats the log directories when they are empty; then the broker, as PID 1.
set -euo pipefail
# apache/kafka's default when none is given (its configureDefaults), as under docker-compose:
# the image formats its log directories with this fixed id.
: "${CLUSTER_ID:=5L6g3nShT-eMCtK--X86sw}"
config=/opt/kafka/config
mkdir -p "$config"
: >"$config/server.properties"
# The launcher's own variables, not broker settings.
skip=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_LOG4J_OPTS KAFKA_GC_LOG_OPTS KAFKA_JMX_OPTS KAFKA_DEBUG KAFKA_HOME KAFKA_VERSION "
while IFS='=' read -r name value; do
  [[ "$name" == KAFKA_* ]] || continue
  [[ "$skip" == *" $name "* ]] && continue
  key=${name#KAFKA_}
  key=${key,,}
  key=${key//___/-}
  key=${key//__/@}
  key=${key//_/.}
  key=${key//@/_}
  printf '%s=%s\n' "$key" "$value" >>"$config/server.properties"
done < <(env)
cp /opt/kafka/defaults/log4j2.properties "$config/"

heap=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
log_dir=${LOG_DIR:-/opt/kafka/logs}
mkdir -p "$log_dir"
# shellcheck disable=SC2206  # option lists
java=(java $heap ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}
  -Dlog4j2.configurationFile="$config/log4j2.properties" -Dkafka.logs.dir="$log_dir"
  ${KAFKA_OPTS:-} -cp "/opt/kafka/libs/*")
if [ -n "${CLUSTER_ID:-}" ]; then
  "${java[@]}" kafka.tools.StorageTool format --ignore-formatted \
    --cluster-id="$CLUSTER_ID" -c "$config/server.properties"
fi
exec "${java[@]}" kafka.Kafka "$config/server.properties"
