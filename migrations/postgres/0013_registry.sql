-- The plugin registry as a service (docs/adr/022-plugin-registry.md): publishers own plugin ids
-- and sign what they publish with ed25519 keys they register; publishing tokens let CI publish;
-- every published version waits for review in the catalogue (`status`), and a yanked version is
-- offered to no one new. Versions a platform admin installs from disk (`ils plugin install`)
-- are approved as they are added and have no publisher.

CREATE TABLE publishers (
    id            uuid PRIMARY KEY,
    slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    auto_approve  boolean NOT NULL DEFAULT false,
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE publisher_members (
    publisher_id  uuid NOT NULL REFERENCES publishers (id),
    user_id       uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (publisher_id, user_id)
);
CREATE INDEX publisher_members_user ON publisher_members (user_id);

CREATE TABLE publisher_keys (
    key_id        text PRIMARY KEY CHECK (length(key_id) = 16),
    publisher_id  uuid NOT NULL REFERENCES publishers (id),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    public_key    text NOT NULL,
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX publisher_keys_publisher ON publisher_keys (publisher_id);

CREATE TABLE publisher_tokens (
    id            uuid PRIMARY KEY,
    publisher_id  uuid NOT NULL REFERENCES publishers (id),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix        text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX publisher_tokens_publisher ON publisher_tokens (publisher_id);

CREATE TABLE plugin_owners (
    plugin_id     text PRIMARY KEY CHECK (length(plugin_id) BETWEEN 2 AND 64),
    publisher_id  uuid NOT NULL REFERENCES publishers (id),
    claimed_at    timestamptz NOT NULL
);

ALTER TABLE plugin_catalogue ADD COLUMN status text NOT NULL DEFAULT 'approved'
    CHECK (status IN ('pending', 'approved', 'rejected'));
ALTER TABLE plugin_catalogue ADD COLUMN publisher_id uuid REFERENCES publishers (id);
ALTER TABLE plugin_catalogue ADD COLUMN key_id text;
ALTER TABLE plugin_catalogue ADD COLUMN signature text;
ALTER TABLE plugin_catalogue ADD COLUMN size bigint CHECK (size >= 0);
ALTER TABLE plugin_catalogue ADD COLUMN imports text;
ALTER TABLE plugin_catalogue ADD COLUMN review_reason text;
ALTER TABLE plugin_catalogue ADD COLUMN reviewed_by uuid REFERENCES users (id);
ALTER TABLE plugin_catalogue ADD COLUMN reviewed_at timestamptz;
ALTER TABLE plugin_catalogue ADD COLUMN yanked_at timestamptz;
ALTER TABLE plugin_catalogue ADD COLUMN yank_reason text;
CREATE INDEX plugin_catalogue_pending ON plugin_catalogue (added_at) WHERE status = 'pending';

-- Registry data is the platform's: only system-scope transactions read or write it.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['publishers', 'publisher_members', 'publisher_keys', 'publisher_tokens', 'plugin_owners'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY system_only ON %I USING (ils_system_scope()) WITH CHECK (ils_system_scope())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO ils_app', t);
    END LOOP;
END $$;
