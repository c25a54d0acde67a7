-- Quotas per tenant and plugin (docs/adr/017-plugin-quotas.md): what a plugin stores in kv (bytes
-- of keys plus values, and keys) and the events it published in the current minute, counted in
-- the transaction of each write so that nothing past the quota is stored. The quota figures come
-- from the tenant's plan unless a platform operator set one here (NULL: the plan's). Refusals are
-- counted for the tenant's admins.

CREATE TABLE plugin_usage (
    tenant_id          uuid NOT NULL,
    plugin_id          text NOT NULL,
    kv_bytes           bigint NOT NULL DEFAULT 0 CHECK (kv_bytes >= 0),
    kv_keys            bigint NOT NULL DEFAULT 0 CHECK (kv_keys >= 0),
    events_minute      bigint NOT NULL DEFAULT 0,
    events_in_minute   bigint NOT NULL DEFAULT 0 CHECK (events_in_minute >= 0),
    refusals           bigint NOT NULL DEFAULT 0 CHECK (refusals >= 0),
    last_refusal       text,
    last_refusal_at    timestamptz,
    kv_bytes_quota     bigint CHECK (kv_bytes_quota >= 0),
    kv_keys_quota      bigint CHECK (kv_keys_quota >= 0),
    events_per_minute_quota bigint CHECK (events_per_minute_quota >= 0),
    PRIMARY KEY (tenant_id, plugin_id),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
);

-- What plugins stored before quotas counted it. `plugin_kv` is under forced row-level security:
-- read it in the system scope. Bytes, not characters: keys are UTF-8 text.
SELECT set_config('ils.scope', 'system', true);
INSERT INTO plugin_usage (tenant_id, plugin_id, kv_bytes, kv_keys)
    SELECT tenant_id, plugin_id, sum(octet_length(key) + length(value)), count(*)
    FROM plugin_kv GROUP BY tenant_id, plugin_id;

ALTER TABLE plugin_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE plugin_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON plugin_usage
    USING (tenant_id = ils_current_tenant() OR ils_system_scope())
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON plugin_usage TO ils_app;
