-- Plugin packages in the database (docs/adr/020-packages-in-the-database.md): the manifest and
-- the component of every package, named by the package digest, so that every node on this
-- database reads the same packages without a shared disk and compiles them into its own cache.
-- A version is immutable: rows are inserted, never updated, and one (plugin, version) has one
-- digest. Packages kept in a registry directory before this migration are copied in by the
-- first node that loads them (SQL cannot read that directory).

CREATE TABLE plugin_packages (
    digest      TEXT PRIMARY KEY CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
    plugin_id   TEXT NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    version     TEXT NOT NULL CHECK (length(version) BETWEEN 5 AND 64),
    manifest    TEXT NOT NULL,
    component   BLOB NOT NULL,
    size        INTEGER NOT NULL CHECK (size > 0),
    created_at  TEXT NOT NULL,
    UNIQUE (plugin_id, version)
) STRICT;
