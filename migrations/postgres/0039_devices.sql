-- Devices connected through an on-site bridge (issue 17, docs/adr/049-live-devices.md). ILS knows
-- each device's driver; the bridge only moves bytes. A device's live session is kept here: the
-- driver's opaque state, the last bridge entry applied (`acked`) and a version that every step
-- moves on, so a step is committed once whatever crashes.
CREATE TABLE devices (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    plugin_id       text NOT NULL CHECK (length(plugin_id) BETWEEN 1 AND 100),
    model           text NOT NULL CHECK (length(model) BETWEEN 1 AND 100),
    state           bytea,
    acked           bigint NOT NULL DEFAULT 0 CHECK (acked >= 0),
    version         bigint NOT NULL DEFAULT 0 CHECK (version >= 0),
    next_out        bigint NOT NULL DEFAULT 1 CHECK (next_out >= 1),
    wake_at         timestamptz,
    link_up         boolean NOT NULL DEFAULT false,
    examination_id  uuid,
    last_seen_at    timestamptz,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- Bytes for a device, in order, until the bridge says they were written.
CREATE TABLE device_outbox (
    tenant_id   uuid NOT NULL,
    device      text NOT NULL,
    out_seq     bigint NOT NULL CHECK (out_seq >= 1),
    bytes       bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, device, out_seq),
    FOREIGN KEY (tenant_id, device) REFERENCES devices (tenant_id, name) ON DELETE CASCADE
);

-- What a device's sessions made happen: shapes attached, readings taken, jobs delivered, notes.
CREATE TABLE device_log (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    device          text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('link', 'shapes', 'reading', 'job_delivered', 'job_failed', 'note', 'refused')),
    message         text NOT NULL CHECK (length(message) <= 2000),
    order_id        uuid,
    examination_id  uuid,
    at              timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, device) REFERENCES devices (tenant_id, name) ON DELETE CASCADE
);
CREATE INDEX device_log_device ON device_log (tenant_id, device, id);

ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE devices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON devices USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE, DELETE ON devices TO ils_app;
ALTER TABLE device_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON device_outbox USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, DELETE ON device_outbox TO ils_app;
ALTER TABLE device_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON device_log USING (tenant_id = ils_current_tenant() OR ils_system_scope());
-- DELETE: a patient's erasure removes the log lines about their examinations.
GRANT SELECT, INSERT, DELETE ON device_log TO ils_app;
