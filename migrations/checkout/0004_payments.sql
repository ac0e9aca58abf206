-- Payments: one per order. The id is derived from the order id (UUIDv5), so a redelivered
-- `order.placed` names the same payment, and the provider sees the same idempotency key.
CREATE TABLE payments (
    id             uuid PRIMARY KEY,
    order_id       uuid NOT NULL,
    checkout_id    uuid NOT NULL REFERENCES checkouts (id),
    amount_minor   bigint NOT NULL CHECK (amount_minor > 0),
    currency       char(3) NOT NULL,
    status         text NOT NULL CHECK (status IN ('AUTHORIZED', 'DECLINED', 'REFUNDED')),
    decline_reason text,
    attempts       integer NOT NULL CHECK (attempts > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_order_id_key UNIQUE (order_id)
);

-- The simulated payment provider's own ledger. It stands for an external system: it is called
-- outside the handler's transaction, and it is idempotent by key, as public payment APIs are.
CREATE TABLE provider_operations (
    idempotency_key text PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('authorization', 'refund')),
    amount_minor    bigint NOT NULL,
    currency        char(3) NOT NULL,
    outcome         text NOT NULL,               -- approved | declined:<reason> | refunded
    created_at      timestamptz NOT NULL DEFAULT now()
);
