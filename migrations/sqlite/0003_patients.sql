-- Patients of a practice.

CREATE TABLE patients (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id),
    id               BLOB NOT NULL,
    customer_number  TEXT NOT NULL CHECK (length(customer_number) BETWEEN 1 AND 40),
    first_name       TEXT NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name        TEXT NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    date_of_birth    TEXT NOT NULL CHECK (date_of_birth GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    nhs_number       TEXT CHECK (nhs_number GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    email            TEXT,
    phone            TEXT,
    address          TEXT,
    postcode         TEXT,
    medical_notes    TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, customer_number)
) STRICT;
CREATE UNIQUE INDEX patients_nhs_number ON patients (tenant_id, nhs_number) WHERE nhs_number IS NOT NULL;
CREATE INDEX patients_name ON patients (tenant_id, lower(last_name), lower(first_name));
CREATE INDEX patients_dob ON patients (tenant_id, date_of_birth);
