-- Eye examinations. The final refraction is kept per eye as checked JSON
-- ({"sphere","cylinder","axis","add",…} as entered, minus-cylinder form); a finalised
-- examination is never changed, and may produce a prescription.

CREATE TABLE examinations (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    patient_id     uuid NOT NULL,
    examined_on    text NOT NULL,
    va_right       text,
    va_left        text,
    iop_right      integer CHECK (iop_right BETWEEN 1 AND 80),
    iop_left       integer CHECK (iop_left BETWEEN 1 AND 80),
    refraction     text,
    notes          text NOT NULL DEFAULT '',
    examined_by    uuid,
    finalised_at   timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id)
);
CREATE INDEX examinations_patient ON examinations (tenant_id, patient_id, id);

ALTER TABLE prescriptions ADD COLUMN examination_id uuid;

ALTER TABLE examinations ENABLE ROW LEVEL SECURITY;
ALTER TABLE examinations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON examinations
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());

GRANT SELECT, INSERT, UPDATE ON examinations TO ils_app;
