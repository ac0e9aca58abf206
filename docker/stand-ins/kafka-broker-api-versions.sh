#!/bin/bash
# kafka-broker-api-versions.sh of the Apache Kafka stand-in (docs/operations/images.md), which
# docker-compose's healthcheck runs: the distribution's BrokerApiVersionsCommand, from its jar.
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} -cp "/opt/kafka/libs/*" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
