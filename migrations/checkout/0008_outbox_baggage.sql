-- The W3C baggage of the request that caused an event (docs/adr/0010), passed on with it as the
-- `baggage` CloudEvents extension (the `ce_baggage` Kafka header).
ALTER TABLE outbox ADD COLUMN baggage text;
