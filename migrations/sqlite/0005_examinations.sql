-- Eye examinations. The final refraction is kept per eye as checked JSON
-- ({"sphere","cylinder","axis","add",…} as entered, minus-cylinder form); a finalised
-- examination is never changed, and may produce a prescription.

CREATE TABLE examinations (
    tenant_id      BLOB NOT NULL,
    id             BLOB NOT NULL,
    patient_id     BLOB NOT NULL,
    examined_on    TEXT NOT NULL,
    va_right       TEXT,
    va_left        TEXT,
    iop_right      INTEGER CHECK (iop_right BETWEEN 1 AND 80),
    iop_left       INTEGER CHECK (iop_left BETWEEN 1 AND 80),
    refraction     TEXT,
    notes          TEXT NOT NULL DEFAULT '',
    examined_by    BLOB,
    finalised_at   TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id)
) STRICT;
CREATE INDEX examinations_patient ON examinations (tenant_id, patient_id, id);

ALTER TABLE prescriptions ADD COLUMN examination_id BLOB;
