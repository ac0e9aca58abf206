-- Orders are created only from checkout.submitted; one order per checkout.
CREATE TABLE orders (
    id            uuid PRIMARY KEY,              -- UUIDv7: keyset pagination follows creation
    checkout_id   uuid NOT NULL,
    customer_id   text NOT NULL,
    status        text NOT NULL
                  CHECK (status IN ('PENDING_PAYMENT', 'CONFIRMED', 'CANCELLED')),
    cancel_reason text CHECK (cancel_reason IN ('payment_declined', 'customer_requested', 'timeout')),
    lines         jsonb NOT NULL,
    total_minor   bigint NOT NULL CHECK (total_minor > 0),
    currency      char(3) NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_checkout_id_key UNIQUE (checkout_id)
);

CREATE INDEX orders_customer_idx ON orders (customer_id, id DESC);

-- Every status an order took, in order.
CREATE TABLE order_status_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id),
    status      text NOT NULL,
    reason      text,
    occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);
