-- The transactional outbox (crates/outbox): events written in the business transaction.
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,               -- UUIDv7, the CloudEvent id
    topic        text NOT NULL,                  -- logical topic, without KAFKA_TOPIC_PREFIX
    event_type   text NOT NULL,
    source       text NOT NULL,
    aggregate_id uuid NOT NULL,                  -- CloudEvent subject and Kafka key
    sequence     bigint NOT NULL CHECK (sequence > 0),
    payload      jsonb NOT NULL,
    traceparent  text,
    tracestate   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    CONSTRAINT outbox_aggregate_sequence_key UNIQUE (aggregate_id, sequence)
);

CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;

-- Per-aggregate gapless sequence: the row lock taken by the increment orders concurrent writers.
CREATE TABLE outbox_sequences (
    aggregate_id  uuid PRIMARY KEY,
    last_sequence bigint NOT NULL
);
