-- Tenant files (docs/adr/027-tenant-files-and-notify.md): what each file is — its name, media
-- type, size and SHA-256, and the plugin that stored it (none for a file a user stores). The
-- bytes live in the file store (a directory by default) under the tenant and the file's id; the
-- row is written after the bytes and removed before them, so every row has its bytes.

CREATE TABLE files (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    plugin_id     text CHECK (length(plugin_id) BETWEEN 2 AND 64),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    content_type  text NOT NULL CHECK (length(content_type) BETWEEN 3 AND 200),
    size          bigint NOT NULL CHECK (size >= 0),
    sha256        text NOT NULL CHECK (length(sha256) = 64),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- A plugin lists its own files, newest first.
CREATE INDEX files_plugin ON files (tenant_id, plugin_id, id);

ALTER TABLE files ENABLE ROW LEVEL SECURITY;
ALTER TABLE files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON files
    USING (tenant_id = ils_current_tenant() OR ils_system_scope())
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
-- A file is never changed, only stored and removed.
GRANT SELECT, INSERT, DELETE ON files TO ils_app;
