-- Tenant files (docs/adr/027-tenant-files-and-notify.md): what each file is — its name, media
-- type, size and SHA-256, and the plugin that stored it (none for a file a user stores). The
-- bytes live in the file store (a directory by default) under the tenant and the file's id; the
-- row is written after the bytes and removed before them, so every row has its bytes.

CREATE TABLE files (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    id            BLOB NOT NULL,
    plugin_id     TEXT CHECK (length(plugin_id) BETWEEN 2 AND 64),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    content_type  TEXT NOT NULL CHECK (length(content_type) BETWEEN 3 AND 200),
    size          INTEGER NOT NULL CHECK (size >= 0),
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
-- A plugin lists its own files, newest first.
CREATE INDEX files_plugin ON files (tenant_id, plugin_id, id);
