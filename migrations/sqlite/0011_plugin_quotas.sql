-- Quotas per tenant and plugin (docs/adr/017-plugin-quotas.md): what a plugin stores in kv (bytes
-- of keys plus values, and keys) and the events it published in the current minute, counted in
-- the transaction of each write so that nothing past the quota is stored. The quota figures come
-- from the tenant's plan unless a platform operator set one here (NULL: the plan's). Refusals are
-- counted for the tenant's admins.

CREATE TABLE plugin_usage (
    tenant_id          BLOB NOT NULL,
    plugin_id          TEXT NOT NULL,
    kv_bytes           INTEGER NOT NULL DEFAULT 0 CHECK (kv_bytes >= 0),
    kv_keys            INTEGER NOT NULL DEFAULT 0 CHECK (kv_keys >= 0),
    events_minute      INTEGER NOT NULL DEFAULT 0,
    events_in_minute   INTEGER NOT NULL DEFAULT 0 CHECK (events_in_minute >= 0),
    refusals           INTEGER NOT NULL DEFAULT 0 CHECK (refusals >= 0),
    last_refusal       TEXT,
    last_refusal_at    TEXT,
    kv_bytes_quota     INTEGER CHECK (kv_bytes_quota >= 0),
    kv_keys_quota      INTEGER CHECK (kv_keys_quota >= 0),
    events_per_minute_quota INTEGER CHECK (events_per_minute_quota >= 0),
    PRIMARY KEY (tenant_id, plugin_id),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
) STRICT;

-- What plugins stored before quotas counted it. Bytes, not characters: keys are UTF-8 text.
INSERT INTO plugin_usage (tenant_id, plugin_id, kv_bytes, kv_keys)
    SELECT tenant_id, plugin_id, sum(length(CAST(key AS BLOB)) + length(value)), count(*)
    FROM plugin_kv GROUP BY tenant_id, plugin_id;
