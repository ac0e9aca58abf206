-- A row the broker can never take (it cannot be encoded, or it is larger than the topic
-- allows) holds back only its own aggregate: the relay records why here, publishes every
-- other aggregate, and tries the row again now and then. `GET /v1/admin/outbox` lists them.
ALTER TABLE outbox
    ADD COLUMN publish_error text,
    ADD COLUMN publish_failed_at timestamptz;
