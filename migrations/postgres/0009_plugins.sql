-- Plugins: the versions this installation offers (a platform admin adds them; the packages
-- themselves live in the content-addressed registry on disk), and per tenant: which version is
-- enabled with which consented capabilities and configuration, its secrets (sealed), its
-- key-value data, and its circuit breaker. See docs/adr/011-plugins-per-tenant.md.

CREATE TABLE plugin_catalogue (
    plugin_id    text NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    version      text NOT NULL CHECK (length(version) BETWEEN 5 AND 64),
    digest       text NOT NULL CHECK (length(digest) = 64),
    manifest     text NOT NULL,
    min_plan     text NOT NULL CHECK (min_plan IN ('free', 'pro', 'premium', 'enterprise')),
    added_at     timestamptz NOT NULL,
    PRIMARY KEY (plugin_id, version)
);

CREATE TABLE tenant_plugins (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    plugin_id      text NOT NULL,
    version        text NOT NULL,
    enabled        boolean NOT NULL,
    capabilities   text NOT NULL,
    config         text NOT NULL,
    enabled_by     uuid,
    enabled_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    failures       integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    tripped_until  timestamptz,
    last_error     text,
    last_error_at  timestamptz,
    PRIMARY KEY (tenant_id, plugin_id),
    FOREIGN KEY (plugin_id, version) REFERENCES plugin_catalogue (plugin_id, version)
);

CREATE TABLE plugin_secrets (
    tenant_id   uuid NOT NULL,
    plugin_id   text NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    sealed      bytea NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, name),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
);

CREATE TABLE plugin_kv (
    tenant_id   uuid NOT NULL,
    plugin_id   text NOT NULL,
    key         text NOT NULL CHECK (length(key) BETWEEN 1 AND 512),
    value       bytea NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, key),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
);

ALTER TABLE plugin_catalogue ENABLE ROW LEVEL SECURITY;
ALTER TABLE plugin_catalogue FORCE ROW LEVEL SECURITY;
CREATE POLICY catalogue_read ON plugin_catalogue FOR SELECT USING (true);
CREATE POLICY catalogue_write ON plugin_catalogue FOR ALL USING (ils_system_scope()) WITH CHECK (ils_system_scope());
GRANT SELECT, INSERT, UPDATE, DELETE ON plugin_catalogue TO ils_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_plugins', 'plugin_secrets', 'plugin_kv'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = ils_current_tenant() OR ils_system_scope())
            WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope())', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON tenant_plugins TO ils_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON plugin_secrets, plugin_kv TO ils_app;
