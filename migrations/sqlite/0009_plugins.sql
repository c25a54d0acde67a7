-- Plugins: the versions this installation offers (a platform admin adds them; the packages
-- themselves live in the content-addressed registry on disk), and per tenant: which version is
-- enabled with which consented capabilities and configuration, its secrets (sealed), its
-- key-value data, and its circuit breaker. See docs/adr/011-plugins-per-tenant.md.

CREATE TABLE plugin_catalogue (
    plugin_id    TEXT NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    version      TEXT NOT NULL CHECK (length(version) BETWEEN 5 AND 64),
    digest       TEXT NOT NULL CHECK (length(digest) = 64),
    manifest     TEXT NOT NULL,
    min_plan     TEXT NOT NULL CHECK (min_plan IN ('free', 'pro', 'premium', 'enterprise')),
    added_at     TEXT NOT NULL,
    PRIMARY KEY (plugin_id, version)
) STRICT;

CREATE TABLE tenant_plugins (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id),
    plugin_id      TEXT NOT NULL,
    version        TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    capabilities   TEXT NOT NULL,
    config         TEXT NOT NULL,
    enabled_by     BLOB,
    enabled_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    failures       INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    tripped_until  TEXT,
    last_error     TEXT,
    last_error_at  TEXT,
    PRIMARY KEY (tenant_id, plugin_id),
    FOREIGN KEY (plugin_id, version) REFERENCES plugin_catalogue (plugin_id, version)
) STRICT;

CREATE TABLE plugin_secrets (
    tenant_id   BLOB NOT NULL,
    plugin_id   TEXT NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    sealed      BLOB NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, name),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
) STRICT;

CREATE TABLE plugin_kv (
    tenant_id   BLOB NOT NULL,
    plugin_id   TEXT NOT NULL,
    key         TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 512),
    value       BLOB NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, key),
    FOREIGN KEY (tenant_id, plugin_id) REFERENCES tenant_plugins (tenant_id, plugin_id)
) STRICT;
