-- The outbox relay's work list (docs/adr/035-outbox-relay.md): one row per committed event not
-- yet handed to its consumers, written by `emit` in the event's own transaction and deleted by the
-- relay in the transaction that queues the consumers' jobs. It replaces one `dispatch_event`
-- River job per event. It holds ids only; no foreign key to `events`, as on PostgreSQL.
CREATE TABLE outbox_pending (
    event_id   BLOB NOT NULL PRIMARY KEY,
    tenant_id  BLOB NOT NULL
) STRICT;
