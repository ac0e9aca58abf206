-- The trace an order belongs to: the W3C trace id its checkout.submitted event carried, which
-- is the checkout's trace from the shopper's request on. What an operator opens in a trace
-- viewer from the console. NULL when the event carried no trace (and for older orders).
ALTER TABLE orders ADD COLUMN trace_id text CHECK (trace_id ~ '^[0-9a-f]{32}$');
