-- Reminders and message templates (docs/adr/045-reminders.md): an appointment's reminder a day
-- before it, and "your glasses are ready" when the practice receives an order back. Each is
-- recorded once — per appointment, per order — and the unique keys say so, whatever the code does.
CREATE TABLE reminders (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    patient_id      uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('appointment', 'order_ready')),
    appointment_id  uuid,
    order_id        uuid,
    channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
    outcome         text NOT NULL CHECK (outcome IN ('queued', 'no_sms_provider')),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, appointment_id),
    UNIQUE (tenant_id, order_id),
    CHECK ((kind = 'appointment') = (appointment_id IS NOT NULL)),
    CHECK ((kind = 'order_ready') = (order_id IS NOT NULL)),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id)
);
CREATE INDEX reminders_patient ON reminders (tenant_id, patient_id);
ALTER TABLE reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reminders USING (tenant_id = ils_current_tenant() OR ils_system_scope());
-- DELETE: erasure at the end of a record's retention removes them.
GRANT SELECT, INSERT, DELETE ON reminders TO ils_app;

-- The words of the messages patients receive, as a practice rewrote them (none: ILS's own).
CREATE TABLE message_templates (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    kind        text NOT NULL CHECK (kind IN ('recall_due', 'recall_first_reminder', 'recall_final',
                    'appointment_reminder', 'order_ready')),
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    updated_by  uuid REFERENCES users (id),
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);
ALTER TABLE message_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_templates USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE, DELETE ON message_templates TO ils_app;
