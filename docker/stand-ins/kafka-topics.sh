#!/bin/bash
# kafka-topics.sh of the Apache Kafka stand-in (docs/operations/images.md): the distribution's
# TopicCommand, run from its jar as the distribution's script runs it.
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} -cp "/opt/kafka/libs/*" org.apache.kafka.tools.TopicCommand "$@"
