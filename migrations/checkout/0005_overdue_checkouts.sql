-- A checkout with an order that is still PENDING past SAGA_TIMEOUT makes checkout-service ask
-- order-service for the order's outcome (`checkout.overdue`), less and less often: after
-- SAGA_TIMEOUT, then twice as long, four times... These record how often and when it last asked.
ALTER TABLE checkouts
    ADD COLUMN outcome_requests integer NOT NULL DEFAULT 0,
    ADD COLUMN outcome_requested_at timestamptz;

-- The sweeper reads only PENDING checkouts: a small set, however large the table grows.
CREATE INDEX checkouts_pending_idx ON checkouts (created_at) WHERE status = 'PENDING';
