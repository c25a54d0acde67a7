-- Recalls; see migrations/postgres.
CREATE TABLE recalls (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    patient_id      BLOB NOT NULL,
    due_on          TEXT NOT NULL CHECK (due_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    months          INTEGER CHECK (months BETWEEN 1 AND 120),
    basis           TEXT NOT NULL CHECK (basis IN ('age', 'clinician', 'date')),
    reason          TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    examination_id  BLOB,
    set_by          BLOB REFERENCES users (id),
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, patient_id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, examination_id) REFERENCES examinations (tenant_id, id)
) STRICT;
CREATE INDEX recalls_due ON recalls (tenant_id, due_on);

CREATE TABLE recall_notices (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    id          BLOB NOT NULL,
    patient_id  BLOB NOT NULL,
    due_on      TEXT NOT NULL CHECK (due_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    stage       TEXT NOT NULL CHECK (stage IN ('due', 'first_reminder', 'final')),
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'post')),
    outcome     TEXT NOT NULL CHECK (outcome IN ('queued', 'to_post', 'no_address', 'no_sms_provider')),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, patient_id, due_on, stage),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id)
) STRICT;
