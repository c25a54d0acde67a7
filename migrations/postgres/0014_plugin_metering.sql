-- Metering per tenant, plugin and day (docs/adr/023-plugin-metering.md): what each export of a
-- plugin cost, added up by every node from its in-memory totals every few seconds (an upsert
-- adding deltas, so several nodes share the rows), and what the plugin kept in kv that day (a
-- snapshot taken at each flush). The invocations of a month are what the monthly quota counts;
-- an operator may set that quota for one tenant's plugin in `plugin_usage` (NULL: the plan's).

CREATE TABLE plugin_metering (
    tenant_id          uuid NOT NULL,
    plugin_id          text NOT NULL,
    day                text NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    export             text NOT NULL CHECK (length(export) BETWEEN 1 AND 64),
    invocations        bigint NOT NULL DEFAULT 0 CHECK (invocations >= 0),
    failures           bigint NOT NULL DEFAULT 0 CHECK (failures >= 0),
    wall_us            bigint NOT NULL DEFAULT 0 CHECK (wall_us >= 0),
    cpu_us             bigint NOT NULL DEFAULT 0 CHECK (cpu_us >= 0),
    peak_memory_bytes  bigint NOT NULL DEFAULT 0 CHECK (peak_memory_bytes >= 0),
    outbound_requests  bigint NOT NULL DEFAULT 0 CHECK (outbound_requests >= 0),
    outbound_bytes     bigint NOT NULL DEFAULT 0 CHECK (outbound_bytes >= 0),
    events_published   bigint NOT NULL DEFAULT 0 CHECK (events_published >= 0),
    PRIMARY KEY (tenant_id, plugin_id, day, export),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
);

-- Platform admins read one plugin's figures across tenants.
CREATE INDEX plugin_metering_plugin_day ON plugin_metering (plugin_id, day);

CREATE TABLE plugin_metering_storage (
    tenant_id  uuid NOT NULL,
    plugin_id  text NOT NULL,
    day        text NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    kv_bytes   bigint NOT NULL CHECK (kv_bytes >= 0),
    kv_keys    bigint NOT NULL CHECK (kv_keys >= 0),
    PRIMARY KEY (tenant_id, plugin_id, day),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
);

ALTER TABLE plugin_usage ADD COLUMN invocations_per_month_quota bigint
    CHECK (invocations_per_month_quota >= 0);

ALTER TABLE plugin_metering ENABLE ROW LEVEL SECURITY;
ALTER TABLE plugin_metering FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON plugin_metering
    USING (tenant_id = ils_current_tenant() OR ils_system_scope())
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON plugin_metering TO ils_app;

ALTER TABLE plugin_metering_storage ENABLE ROW LEVEL SECURITY;
ALTER TABLE plugin_metering_storage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON plugin_metering_storage
    USING (tenant_id = ils_current_tenant() OR ils_system_scope())
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON plugin_metering_storage TO ils_app;
