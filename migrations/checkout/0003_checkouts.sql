-- A submitted cart. The card token stays here; it never travels in events.
CREATE TABLE checkouts (
    id             uuid PRIMARY KEY,
    customer_id    text NOT NULL,
    session_id     uuid NOT NULL,
    cart_version   bigint NOT NULL,
    status         text NOT NULL DEFAULT 'PENDING'
                   CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
    failure_reason text CHECK (failure_reason IN ('declined', 'cancelled', 'timeout')),
    order_id       uuid,
    lines          jsonb NOT NULL,
    total_minor    bigint NOT NULL CHECK (total_minor > 0),
    currency       char(3) NOT NULL,
    card_token     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- One checkout per cart version: a resubmit under a new Idempotency-Key is refused.
    CONSTRAINT checkouts_session_cart_version_key UNIQUE (session_id, cart_version)
);

CREATE INDEX checkouts_customer_idx ON checkouts (customer_id, id DESC);

-- Idempotency keys, scoped per (customer, route, key). The row is inserted first in the
-- request's transaction, so a concurrent duplicate waits on the primary key.
CREATE TABLE idempotency_keys (
    customer_id     text NOT NULL,
    route           text NOT NULL,
    key             text NOT NULL,
    request_hash    bytea NOT NULL,
    response_status smallint,
    response_body   jsonb,
    response_location text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, route, key)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
