-- The plugin registry as a service (docs/adr/022-plugin-registry.md): publishers own plugin ids
-- and sign what they publish with ed25519 keys they register; publishing tokens let CI publish;
-- every published version waits for review in the catalogue (`status`), and a yanked version is
-- offered to no one new. Versions a platform admin installs from disk (`ils plugin install`)
-- are approved as they are added and have no publisher.

CREATE TABLE publishers (
    id            BLOB PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 2 AND 63 AND slug NOT GLOB '*[^a-z0-9-]*' AND substr(slug, 1, 1) != '-'),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    auto_approve  INTEGER NOT NULL DEFAULT 0,
    created_by    BLOB NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE publisher_members (
    publisher_id  BLOB NOT NULL REFERENCES publishers (id),
    user_id       BLOB NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (publisher_id, user_id)
) STRICT;
CREATE INDEX publisher_members_user ON publisher_members (user_id);

CREATE TABLE publisher_keys (
    key_id        TEXT PRIMARY KEY CHECK (length(key_id) = 16),
    publisher_id  BLOB NOT NULL REFERENCES publishers (id),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    public_key    TEXT NOT NULL,
    created_by    BLOB NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
) STRICT;
CREATE INDEX publisher_keys_publisher ON publisher_keys (publisher_id);

CREATE TABLE publisher_tokens (
    id            BLOB PRIMARY KEY,
    publisher_id  BLOB NOT NULL REFERENCES publishers (id),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix        TEXT NOT NULL,
    token_hash    BLOB NOT NULL UNIQUE,
    created_by    BLOB NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT
) STRICT;
CREATE INDEX publisher_tokens_publisher ON publisher_tokens (publisher_id);

CREATE TABLE plugin_owners (
    plugin_id     TEXT PRIMARY KEY CHECK (length(plugin_id) BETWEEN 2 AND 64),
    publisher_id  BLOB NOT NULL REFERENCES publishers (id),
    claimed_at    TEXT NOT NULL
) STRICT;

ALTER TABLE plugin_catalogue ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('pending', 'approved', 'rejected'));
ALTER TABLE plugin_catalogue ADD COLUMN publisher_id BLOB REFERENCES publishers (id);
ALTER TABLE plugin_catalogue ADD COLUMN key_id TEXT;
ALTER TABLE plugin_catalogue ADD COLUMN signature TEXT;
ALTER TABLE plugin_catalogue ADD COLUMN size INTEGER CHECK (size >= 0);
ALTER TABLE plugin_catalogue ADD COLUMN imports TEXT;
ALTER TABLE plugin_catalogue ADD COLUMN review_reason TEXT;
ALTER TABLE plugin_catalogue ADD COLUMN reviewed_by BLOB REFERENCES users (id);
ALTER TABLE plugin_catalogue ADD COLUMN reviewed_at TEXT;
ALTER TABLE plugin_catalogue ADD COLUMN yanked_at TEXT;
ALTER TABLE plugin_catalogue ADD COLUMN yank_reason TEXT;
CREATE INDEX plugin_catalogue_pending ON plugin_catalogue (added_at) WHERE status = 'pending';
