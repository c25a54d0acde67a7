-- Invitations (docs/adr/036-account-recovery.md); see migrations/postgres.
CREATE TABLE invitations (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    email        TEXT NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role         TEXT NOT NULL CHECK (role IN ('ecp', 'dispenser', 'lab_tech', 'engineer', 'supplier', 'company_admin')),
    token_hash   BLOB NOT NULL UNIQUE,
    invited_by   BLOB REFERENCES users (id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    accepted_by  BLOB REFERENCES users (id),
    revoked_at   TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX invitations_email ON invitations (tenant_id, email);
