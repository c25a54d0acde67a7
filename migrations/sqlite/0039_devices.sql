-- Devices connected through an on-site bridge, and their live sessions; see migrations/postgres.
CREATE TABLE devices (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    plugin_id       TEXT NOT NULL CHECK (length(plugin_id) BETWEEN 1 AND 100),
    model           TEXT NOT NULL CHECK (length(model) BETWEEN 1 AND 100),
    state           BLOB,
    acked           INTEGER NOT NULL DEFAULT 0 CHECK (acked >= 0),
    version         INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
    next_out        INTEGER NOT NULL DEFAULT 1 CHECK (next_out >= 1),
    wake_at         TEXT,
    link_up         INTEGER NOT NULL DEFAULT 0,
    examination_id  BLOB,
    last_seen_at    TEXT,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT;

CREATE TABLE device_outbox (
    tenant_id   BLOB NOT NULL,
    device      TEXT NOT NULL,
    out_seq     INTEGER NOT NULL CHECK (out_seq >= 1),
    bytes       BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, device, out_seq),
    FOREIGN KEY (tenant_id, device) REFERENCES devices (tenant_id, name) ON DELETE CASCADE
) STRICT;

CREATE TABLE device_log (
    tenant_id       BLOB NOT NULL,
    id              BLOB NOT NULL,
    device          TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('link', 'shapes', 'reading', 'job_delivered', 'job_failed', 'note', 'refused')),
    message         TEXT NOT NULL CHECK (length(message) <= 2000),
    order_id        BLOB,
    examination_id  BLOB,
    at              TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, device) REFERENCES devices (tenant_id, name) ON DELETE CASCADE
) STRICT;
CREATE INDEX device_log_device ON device_log (tenant_id, device, id);
