-- Accounts people can recover (docs/adr/036-account-recovery.md): a member can be suspended (and
-- reactivated) by the tenant's admins, and a forgotten password is reset with a single-use link
-- sent by e-mail. The link's token is stored hashed (SHA-256), like session tokens.

ALTER TABLE memberships DROP CONSTRAINT memberships_status_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_status_check
    CHECK (status IN ('pending', 'active', 'rejected', 'suspended'));

CREATE TABLE password_resets (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip          text,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);

-- Authentication data: the system scope only, like sessions.
ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON password_resets USING (ils_system_scope());
GRANT SELECT, INSERT, UPDATE, DELETE ON password_resets TO ils_app;

-- A member's failed sign-ins, shown to their tenant's admins, are found by the account's id.
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, at);
