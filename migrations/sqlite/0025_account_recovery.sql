-- Accounts people can recover (docs/adr/036-account-recovery.md); see migrations/postgres. SQLite
-- cannot change a CHECK constraint, so memberships is rebuilt with 'suspended' allowed.

CREATE TABLE memberships_new (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL CHECK (role IN ('ecp', 'dispenser', 'lab_tech', 'engineer', 'supplier', 'company_admin')),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'rejected', 'suspended')),
    decided_by  BLOB REFERENCES users (id),
    decided_at  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT;
INSERT INTO memberships_new (tenant_id, user_id, role, status, decided_by, decided_at, created_at, updated_at)
    SELECT tenant_id, user_id, role, status, decided_by, decided_at, created_at, updated_at FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE password_resets (
    token_hash  BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip          TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
) STRICT;
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);

-- A member's failed sign-ins, shown to their tenant's admins, are found by the account's id.
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, at);
