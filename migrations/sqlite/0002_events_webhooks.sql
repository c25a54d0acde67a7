-- Domain events (the transactional outbox's record) and tenants' outbound webhooks.

CREATE TABLE events (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    type         TEXT NOT NULL CHECK (length(type) BETWEEN 3 AND 100 AND type NOT GLOB '*[^a-z0-9_.]*' AND instr(type, '.') > 1),
    version      INTEGER NOT NULL CHECK (version > 0),
    payload      TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE webhook_endpoints (
    tenant_id                  BLOB NOT NULL REFERENCES tenants (id),
    id                         BLOB NOT NULL,
    url                        TEXT NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    description                TEXT NOT NULL DEFAULT '',
    event_types                TEXT NOT NULL,
    secret                     BLOB NOT NULL,
    previous_secret            BLOB,
    previous_secret_expires_at TEXT,
    enabled                    INTEGER NOT NULL,
    disabled_reason            TEXT,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE webhook_deliveries (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    endpoint_id  BLOB NOT NULL,
    event_id     BLOB NOT NULL,
    attempt      INTEGER NOT NULL CHECK (attempt > 0),
    outcome      TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed', 'gone', 'refused')),
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL CHECK (duration_ms >= 0),
    at           TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id);
