-- A confirmed order that the customer cancels has an authorized payment to give back. Until
-- `payment.refunded` arrives, order-service states the cancellation again, less and less
-- often (after SAGA_TIMEOUT, then twice as long...): an `order.cancelled` dead-lettered in
-- checkout-service must not leave the shopper's money held.
ALTER TABLE orders
    ADD COLUMN refunded_at timestamptz,
    ADD COLUMN cancel_notices integer NOT NULL DEFAULT 0,
    ADD COLUMN cancel_noticed_at timestamptz;

CREATE INDEX orders_refund_due_idx ON orders (updated_at)
    WHERE status = 'CANCELLED' AND cancel_reason = 'customer_requested' AND refunded_at IS NULL;
