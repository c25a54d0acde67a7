-- Invitations (docs/adr/036-account-recovery.md): a company admin invites an e-mail address to
-- join the tenant with a role; the e-mailed link's token is stored hashed, works once, until it
-- expires or the admin revokes it. Accepting creates the account (or, for an address that has
-- one, checks its password) and an active membership.
CREATE TABLE invitations (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    email        text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role         text NOT NULL CHECK (role IN ('ecp', 'dispenser', 'lab_tech', 'engineer', 'supplier', 'company_admin')),
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  uuid REFERENCES users (id),
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX invitations_email ON invitations (tenant_id, email);

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO ils_app;
