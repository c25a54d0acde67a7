-- Metering per tenant, plugin and day (docs/adr/023-plugin-metering.md): what each export of a
-- plugin cost, added up by every node from its in-memory totals every few seconds (an upsert
-- adding deltas, so several nodes share the rows), and what the plugin kept in kv that day (a
-- snapshot taken at each flush). The invocations of a month are what the monthly quota counts;
-- an operator may set that quota for one tenant's plugin in `plugin_usage` (NULL: the plan's).

CREATE TABLE plugin_metering (
    tenant_id          BLOB NOT NULL,
    plugin_id          TEXT NOT NULL,
    day                TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    export             TEXT NOT NULL CHECK (length(export) BETWEEN 1 AND 64),
    invocations        INTEGER NOT NULL DEFAULT 0 CHECK (invocations >= 0),
    failures           INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    wall_us            INTEGER NOT NULL DEFAULT 0 CHECK (wall_us >= 0),
    cpu_us             INTEGER NOT NULL DEFAULT 0 CHECK (cpu_us >= 0),
    peak_memory_bytes  INTEGER NOT NULL DEFAULT 0 CHECK (peak_memory_bytes >= 0),
    outbound_requests  INTEGER NOT NULL DEFAULT 0 CHECK (outbound_requests >= 0),
    outbound_bytes     INTEGER NOT NULL DEFAULT 0 CHECK (outbound_bytes >= 0),
    events_published   INTEGER NOT NULL DEFAULT 0 CHECK (events_published >= 0),
    PRIMARY KEY (tenant_id, plugin_id, day, export),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
) STRICT;

-- Platform admins read one plugin's figures across tenants.
CREATE INDEX plugin_metering_plugin_day ON plugin_metering (plugin_id, day);

CREATE TABLE plugin_metering_storage (
    tenant_id  BLOB NOT NULL,
    plugin_id  TEXT NOT NULL,
    day        TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    kv_bytes   INTEGER NOT NULL CHECK (kv_bytes >= 0),
    kv_keys    INTEGER NOT NULL CHECK (kv_keys >= 0),
    PRIMARY KEY (tenant_id, plugin_id, day),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
) STRICT;

ALTER TABLE plugin_usage ADD COLUMN invocations_per_month_quota INTEGER
    CHECK (invocations_per_month_quota >= 0);
