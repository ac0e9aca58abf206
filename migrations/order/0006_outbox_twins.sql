-- An event published in two major versions side by side during a rollout (docs/adr/0008):
-- both rows carry the id of the first as `twin`, which consumers use as the inbox key, so one
-- that knows both versions applies the event once.
ALTER TABLE outbox ADD COLUMN twin uuid;
