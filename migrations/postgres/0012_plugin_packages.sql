-- Plugin packages in the database (docs/adr/020-packages-in-the-database.md): the manifest and
-- the component of every package, named by the package digest, so that every node on this
-- database reads the same packages without a shared disk and compiles them into its own cache.
-- A version is immutable: rows are inserted, never updated, and one (plugin, version) has one
-- digest. Packages kept in a registry directory before this migration are copied in by the
-- first node that loads them (SQL cannot read that directory).

CREATE TABLE plugin_packages (
    digest      text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
    plugin_id   text NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    version     text NOT NULL CHECK (length(version) BETWEEN 5 AND 64),
    manifest    text NOT NULL,
    component   bytea NOT NULL,
    size        bigint NOT NULL CHECK (size > 0),
    created_at  timestamptz NOT NULL,
    UNIQUE (plugin_id, version)
);

ALTER TABLE plugin_packages ENABLE ROW LEVEL SECURITY;
ALTER TABLE plugin_packages FORCE ROW LEVEL SECURITY;
CREATE POLICY packages_read ON plugin_packages FOR SELECT USING (true);
CREATE POLICY packages_write ON plugin_packages FOR ALL USING (ils_system_scope()) WITH CHECK (ils_system_scope());
GRANT SELECT, INSERT ON plugin_packages TO ils_app;
