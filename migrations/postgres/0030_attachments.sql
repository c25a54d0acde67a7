-- Attachments (docs/adr/041-attachments.md): a file of the tenant's store attached to a patient's
-- record or to an order — a referral letter, a photo, a signed form. The bytes and their row are
-- the file's (`files`); this says what it is attached to, why, and by whom. A download of one is
-- audited as a read of the record it belongs to.
CREATE TABLE attachments (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    file_id      uuid NOT NULL,
    patient_id   uuid,
    order_id     uuid,
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    uploaded_by  uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, file_id),
    FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id),
    CHECK ((patient_id IS NULL) <> (order_id IS NULL))
);
CREATE INDEX attachments_patient ON attachments (tenant_id, patient_id, id);
CREATE INDEX attachments_order ON attachments (tenant_id, order_id, id);

ALTER TABLE attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE attachments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON attachments
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, DELETE ON attachments TO ils_app;
