-- Dead letters the broker would not take (crates/consumer, runtime/parking.rs): refused for
-- good (too large, no such topic, no write ACL) or not acked within the consumer's bound. The
-- consumer keeps each here, as the dead letter it could not send, so that its partition goes
-- on without it. `GET /v1/admin/dead-letters/parked` lists them.
CREATE TABLE parked_dead_letters (
    id                 bigserial PRIMARY KEY,
    consumer_group     text NOT NULL,
    original_topic     text NOT NULL,             -- where the message was consumed from
    original_partition integer NOT NULL,
    original_offset    bigint NOT NULL,
    dead_letter_topic  text NOT NULL,             -- where it was to go: `<original_topic>.dlq`
    message_key        bytea,
    payload            bytea,
    -- The dead letter's headers in order (the original ones and the `dlq-*` ones), values as
    -- their exact bytes; a NULL value is a header without one.
    header_keys        text[] NOT NULL,
    header_values      bytea[] NOT NULL CHECK (cardinality(header_values) = cardinality(header_keys)),
    error              text NOT NULL,             -- why the handler gave it up (`dlq-error`)
    attempts           integer NOT NULL,
    refusal            text NOT NULL,             -- what the broker or the producer answered
    refused_for_good   boolean NOT NULL,          -- false: errors that pass outlasted the bound
    -- No key on the original's coordinates: a topic made again starts its offsets over, and
    -- a second row for one message (delivered again before its offset was committed) is
    -- harmless, while a refused insert would lose a letter.
    parked_at          timestamptz NOT NULL DEFAULT now()
);
