-- Privacy (UK GDPR; docs/adr/039-privacy.md): consent records, subject-access exports, restriction
-- and erasure at the end of clinical retention with a tombstone, and audit retention.

-- A patient past their retention date is restricted on this day, and erased after the grace.
ALTER TABLE patients ADD COLUMN restricted_on text CHECK (restricted_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$');
-- Erasure removes the clinical records.
GRANT DELETE ON patients, prescriptions, examinations TO ils_app;

-- A practice's order outlives its patient's erasure (a business record kept for accounting): it
-- loses the link to the patient and to the prescription, and says when.
ALTER TABLE lab_orders ADD COLUMN patient_erased_at timestamptz;
ALTER TABLE lab_orders DROP CONSTRAINT lab_orders_check4;
ALTER TABLE lab_orders DROP CONSTRAINT lab_orders_check5;
ALTER TABLE lab_orders ADD CONSTRAINT lab_orders_patient_check
    CHECK ((routing = 'from_practice' OR patient_erased_at IS NOT NULL) = (patient_id IS NULL));
ALTER TABLE lab_orders ADD CONSTRAINT lab_orders_prescription_check
    CHECK (routing = 'from_practice' OR patient_erased_at IS NOT NULL OR prescription_id IS NOT NULL);

-- Consent: every change is a row (who recorded it, when, the words and how it was given); the
-- newest row of a kind is the current choice.
CREATE TABLE patient_consents (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    patient_id   uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('marketing', 'recall_channel')),
    choice       text NOT NULL,
    wording      text NOT NULL CHECK (length(wording) BETWEEN 1 AND 2000),
    source       text NOT NULL CHECK (source IN ('in_person', 'phone', 'paper_form', 'email', 'online')),
    recorded_by  uuid,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    CHECK ((kind = 'marketing' AND choice IN ('granted', 'withdrawn'))
        OR (kind = 'recall_channel' AND choice IN ('email', 'sms', 'post', 'none')))
);
CREATE INDEX patient_consents_patient ON patient_consents (tenant_id, patient_id, id);

-- Subject-access exports: which file of the store is whose export (downloads are audited, and
-- only staff who may read records may download one).
CREATE TABLE patient_exports (
    tenant_id     uuid NOT NULL,
    file_id       uuid NOT NULL,
    patient_id    uuid NOT NULL,
    requested_by  uuid,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, file_id),
    FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id)
);
CREATE INDEX patient_exports_patient ON patient_exports (tenant_id, patient_id, created_at);

-- What is left of an erased patient: no personal data, only that it was, when, and how much.
CREATE TABLE patient_tombstones (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    patient_id     uuid NOT NULL,
    retain_until   text NOT NULL CHECK (retain_until ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    restricted_on  text NOT NULL CHECK (restricted_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    erased_at      timestamptz NOT NULL,
    removed        jsonb NOT NULL,
    PRIMARY KEY (tenant_id, patient_id)
);

ALTER TABLE patient_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_consents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_consents
    USING (tenant_id = ils_current_tenant() OR ils_system_scope())
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE patient_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_exports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_exports
    USING (tenant_id = ils_current_tenant() OR ils_system_scope())
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE patient_tombstones ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_tombstones FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_tombstones
    USING (tenant_id = ils_current_tenant() OR ils_system_scope())
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, DELETE ON patient_consents, patient_exports TO ils_app;
GRANT SELECT, INSERT ON patient_tombstones TO ils_app;

-- Audit retention: a purge first writes what it removes to an archive, then, in one transaction,
-- opens a purge row, deletes the entries older than its cutoff and closes it. The append-only
-- guard lets a delete through only for entries older than an open purge's cutoff.
CREATE TABLE audit_purges (
    id           uuid PRIMARY KEY,
    cutoff       timestamptz NOT NULL,
    archive      text NOT NULL CHECK (length(archive) BETWEEN 1 AND 500),
    exported     bigint NOT NULL CHECK (exported >= 0),
    deleted      bigint CHECK (deleted >= 0),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
ALTER TABLE audit_purges ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_purges FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON audit_purges
    USING (ils_system_scope()) WITH CHECK (ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON audit_purges TO ils_app;
GRANT DELETE ON audit_log TO ils_app;

CREATE OR REPLACE FUNCTION ils_audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM audit_purges p WHERE p.finished_at IS NULL AND OLD.at < p.cutoff
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
