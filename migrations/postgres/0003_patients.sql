-- Patients of a practice.

CREATE TABLE patients (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    customer_number  text NOT NULL CHECK (length(customer_number) BETWEEN 1 AND 40),
    first_name       text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name        text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    date_of_birth    text NOT NULL CHECK (date_of_birth ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    nhs_number       text CHECK (nhs_number ~ '^[0-9]{10}$'),
    email            text,
    phone            text,
    address          text,
    postcode         text,
    medical_notes    text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, customer_number)
);
CREATE UNIQUE INDEX patients_nhs_number ON patients (tenant_id, nhs_number) WHERE nhs_number IS NOT NULL;
CREATE INDEX patients_name ON patients (tenant_id, lower(last_name), lower(first_name));
CREATE INDEX patients_dob ON patients (tenant_id, date_of_birth);

ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE patients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patients
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());

GRANT SELECT, INSERT, UPDATE ON patients TO ils_app;
