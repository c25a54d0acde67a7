-- ILS host foundation: tenants, users, memberships, sessions, API keys, audit.
--
-- Row-level security is the second wall behind the tenant-scoped data layer. The service runs as
-- a member of the group role `ils_app`, which owns nothing and cannot bypass RLS; migrations run
-- as the owner. See docs/operations/postgresql.md.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ils_app') THEN
        CREATE ROLE ils_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;

-- The tenant a transaction acts for, set with set_config('ils.tenant_id', ..., true).
CREATE FUNCTION ils_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('ils.tenant_id', true), '')::uuid $$;

-- Platform-level work (authentication, platform administration) runs in the system scope.
CREATE FUNCTION ils_system_scope() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('ils.scope', true), '') = 'system' $$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('ecp', 'lab', 'supplier', 'hybrid')),
    status      text NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
    plan        text NOT NULL CHECK (plan IN ('free', 'pro', 'premium', 'enterprise')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    email               text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash       text NOT NULL,
    is_platform_admin   boolean NOT NULL DEFAULT false,
    totp_secret         bytea,
    totp_pending_secret bytea,
    totp_last_step      bigint,
    failed_logins       integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until        timestamptz,
    password_changed_at timestamptz NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE memberships (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    role        text NOT NULL CHECK (role IN ('ecp', 'dispenser', 'lab_tech', 'engineer', 'supplier', 'company_admin')),
    status      text NOT NULL CHECK (status IN ('pending', 'active', 'rejected')),
    decided_by  uuid REFERENCES users (id),
    decided_at  timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id     uuid REFERENCES tenants (id),
    mfa_verified  boolean NOT NULL,
    ip            text,
    user_agent    text,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix        text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    scopes        text NOT NULL,
    created_by    uuid NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    tenant_id    uuid REFERENCES tenants (id),
    at           timestamptz NOT NULL,
    actor_kind   text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system', 'anonymous')),
    actor_id     uuid,
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text,
    changes      jsonb NOT NULL,
    request_id   text,
    ip           text
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

CREATE FUNCTION ils_audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION ils_audit_log_append_only();

-- Second wall: every tenant-owned table is filtered by the transaction's tenant.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = ils_current_tenant() OR ils_system_scope());

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());

-- A user is visible to a tenant only while they hold a membership there.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (ils_system_scope() OR EXISTS (
        SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = ils_current_tenant()));

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());

-- Credentials are only ever touched by authentication code, which runs in the system scope.
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON sessions USING (ils_system_scope());

ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON recovery_codes USING (ils_system_scope());

GRANT USAGE ON SCHEMA public TO ils_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, recovery_codes, memberships, sessions, api_keys TO ils_app;
-- The audit log is append-only for the service.
GRANT SELECT, INSERT ON audit_log TO ils_app;
GRANT SELECT ON _sqlx_migrations TO ils_app;
