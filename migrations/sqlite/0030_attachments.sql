-- Attachments (docs/adr/041-attachments.md); see migrations/postgres.
CREATE TABLE attachments (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    file_id      BLOB NOT NULL,
    patient_id   BLOB,
    order_id     BLOB,
    description  TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    uploaded_by  BLOB REFERENCES users (id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, file_id),
    FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id),
    CHECK ((patient_id IS NULL) <> (order_id IS NULL))
) STRICT;
CREATE INDEX attachments_patient ON attachments (tenant_id, patient_id, id);
CREATE INDEX attachments_order ON attachments (tenant_id, order_id, id);
