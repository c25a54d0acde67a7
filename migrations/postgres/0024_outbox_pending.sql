-- The outbox relay's work list (docs/adr/035-outbox-relay.md): one row per committed event not
-- yet handed to its consumers, written by `emit` in the event's own transaction and deleted by the
-- relay in the transaction that queues the consumers' jobs. It replaces one `dispatch_event`
-- River job per event.
--
-- No row-level security, like River's tables: it holds ids only (the event's tenant and id), the
-- relay claims rows of every tenant in one statement, and the events themselves stay behind RLS.
-- No foreign key to `events` either: the row is only ever written beside its event, and the
-- check would cost a lookup and a row lock per event on the hot path.
CREATE TABLE outbox_pending (
    event_id   uuid NOT NULL PRIMARY KEY,
    tenant_id  uuid NOT NULL
);

-- UPDATE only because claiming (`SELECT … FOR UPDATE SKIP LOCKED`) requires it; rows are never updated.
GRANT SELECT, INSERT, UPDATE, DELETE ON outbox_pending TO ils_app;
