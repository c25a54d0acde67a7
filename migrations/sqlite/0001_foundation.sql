-- ILS host foundation: tenants, users, memberships, sessions, API keys, audit.
-- Same tables as migrations/postgres; SQLite stores uuids as 16-byte blobs and timestamps as
-- fixed-width UTC text (YYYY-MM-DDTHH:MM:SS.ffffffZ), so they sort as text.

CREATE TABLE tenants (
    id          BLOB PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 2 AND 63 AND slug NOT GLOB '*[^a-z0-9-]*' AND substr(slug, 1, 1) <> '-'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        TEXT NOT NULL CHECK (kind IN ('ecp', 'lab', 'supplier', 'hybrid')),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
    plan        TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'premium', 'enterprise')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id                  BLOB PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash       TEXT NOT NULL,
    is_platform_admin   INTEGER NOT NULL DEFAULT 0,
    totp_secret         BLOB,
    totp_pending_secret BLOB,
    totp_last_step      INTEGER,
    failed_logins       INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until        TEXT,
    password_changed_at TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;

CREATE TABLE recovery_codes (
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  BLOB NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

CREATE TABLE memberships (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL CHECK (role IN ('ecp', 'dispenser', 'lab_tech', 'engineer', 'supplier', 'company_admin')),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'rejected')),
    decided_by  BLOB REFERENCES users (id),
    decided_at  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT;
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id            BLOB PRIMARY KEY,
    token_hash    BLOB NOT NULL UNIQUE,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id     BLOB REFERENCES tenants (id),
    mfa_verified  INTEGER NOT NULL,
    ip            TEXT,
    user_agent    TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    revoked_at    TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    id            BLOB NOT NULL,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix        TEXT NOT NULL,
    token_hash    BLOB NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_by    BLOB NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE audit_log (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB REFERENCES tenants (id),
    at           TEXT NOT NULL,
    actor_kind   TEXT NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system', 'anonymous')),
    actor_id     BLOB,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    changes      TEXT NOT NULL,
    request_id   TEXT,
    ip           TEXT
) STRICT;
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

-- The audit log is append-only.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
