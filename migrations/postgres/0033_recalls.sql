-- Recalls (docs/adr/044-recalls.md): each patient's next sight test is due on a day, set from
-- their last examination (the clinician's period, or the default for their age) or by hand; the
-- practice's recall notices go out in stages, each at most once per patient and due date (the
-- unique key says so, whatever the code does).
CREATE TABLE recalls (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    patient_id      uuid NOT NULL,
    due_on          text NOT NULL CHECK (due_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    months          smallint CHECK (months BETWEEN 1 AND 120),
    basis           text NOT NULL CHECK (basis IN ('age', 'clinician', 'date')),
    reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    examination_id  uuid,
    set_by          uuid REFERENCES users (id),
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, patient_id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, examination_id) REFERENCES examinations (tenant_id, id)
);
CREATE INDEX recalls_due ON recalls (tenant_id, due_on);
CREATE TABLE recall_notices (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    patient_id  uuid NOT NULL,
    due_on      text NOT NULL CHECK (due_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    stage       text NOT NULL CHECK (stage IN ('due', 'first_reminder', 'final')),
    channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'post')),
    outcome     text NOT NULL CHECK (outcome IN ('queued', 'to_post', 'no_address', 'no_sms_provider')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, patient_id, due_on, stage),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id)
);
ALTER TABLE recalls ENABLE ROW LEVEL SECURITY;
ALTER TABLE recalls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recalls USING (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE recall_notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE recall_notices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recall_notices USING (tenant_id = ils_current_tenant() OR ils_system_scope());
-- DELETE: erasure at the end of a record's retention removes them.
GRANT SELECT, INSERT, UPDATE, DELETE ON recalls TO ils_app;
GRANT SELECT, INSERT, DELETE ON recall_notices TO ils_app;
