-- Reminders; see migrations/postgres.
CREATE TABLE reminders (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    id              BLOB NOT NULL,
    patient_id      BLOB NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('appointment', 'order_ready')),
    appointment_id  BLOB,
    order_id        BLOB,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    outcome         TEXT NOT NULL CHECK (outcome IN ('queued', 'no_sms_provider')),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, appointment_id),
    UNIQUE (tenant_id, order_id),
    CHECK ((kind = 'appointment') = (appointment_id IS NOT NULL)),
    CHECK ((kind = 'order_ready') = (order_id IS NOT NULL)),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id)
) STRICT;
CREATE INDEX reminders_patient ON reminders (tenant_id, patient_id);

CREATE TABLE message_templates (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL CHECK (kind IN ('recall_due', 'recall_first_reminder', 'recall_final',
                    'appointment_reminder', 'order_ready')),
    subject     TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body        TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    updated_by  BLOB REFERENCES users (id),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind)
) STRICT;
