-- The transactional outbox (crates/outbox): events written in the business transaction.
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,               -- UUIDv7, the CloudEvent id
    topic        text NOT NULL,                  -- logical topic, without KAFKA_TOPIC_PREFIX
    event_type   text NOT NULL,
    source       text NOT NULL,
    aggregate_id uuid NOT NULL,                  -- Kafka key, partitionkey, sequence scope
    subject      text NOT NULL,                  -- CloudEvent subject (the aggregate id, or the
                                                 -- payment id of a payment event keyed by order)
    lane         smallint NOT NULL CHECK (lane >= 0), -- relay ownership lane, from aggregate_id
    sequence     bigint NOT NULL CHECK (sequence > 0),
    payload      jsonb NOT NULL,
    traceparent  text,
    tracestate   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    CONSTRAINT outbox_aggregate_sequence_key UNIQUE (aggregate_id, sequence)
);

-- What the relay reads: the unpublished rows of one lane. And what it purges: old published rows.
CREATE INDEX outbox_unpublished_idx ON outbox (lane, aggregate_id, sequence) WHERE published_at IS NULL;
CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Per-aggregate gapless sequence: the row lock taken by the increment orders concurrent writers.
CREATE TABLE outbox_sequences (
    aggregate_id  uuid PRIMARY KEY,
    last_sequence bigint NOT NULL
);

-- The inbox: which events each consumer group has handled. Inserted first in the handler's
-- transaction; a conflict means "already done".
CREATE TABLE inbox (
    consumer_group text NOT NULL,
    event_id       text NOT NULL,                -- the CloudEvent id
    event_type     text NOT NULL,
    processed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
);

CREATE INDEX inbox_processed_idx ON inbox (processed_at);
