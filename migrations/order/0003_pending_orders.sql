-- The sweeper reads only the orders awaiting payment: a small set, however large the table grows.
CREATE INDEX orders_pending_idx ON orders (created_at) WHERE status = 'PENDING_PAYMENT';
