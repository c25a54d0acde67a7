-- Privacy (UK GDPR; docs/adr/039-privacy.md); see migrations/postgres. SQLite cannot change a
-- CHECK constraint, so lab_orders is rebuilt: copied aside, dropped and created again under its
-- own name, so the foreign keys that point at it (the timeline, remakes) hold again by the commit
-- (deferred until then).

PRAGMA defer_foreign_keys = ON;

ALTER TABLE patients ADD COLUMN restricted_on TEXT
    CHECK (restricted_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]');

CREATE TEMP TABLE lab_orders_copy AS SELECT
    tenant_id, id, number, patient_id, prescription_id, patient_ref, routing, counterpart_tenant_id,
    counterpart_order_id, counterpart_name, counterpart_number, reason, original_order_id, rx,
    lens_type, material, lens_index, coatings, tint, frame, frame_a, frame_b, frame_dbl, pd_right,
    pd_left, height_right, height_left, due_on, priority, price_minor, currency, status, held_from,
    station, quality_issue, notes, created_by, created_at, updated_at, frame_item_id
FROM lab_orders;
DROP TABLE lab_orders;
CREATE TABLE lab_orders (
    tenant_id          BLOB NOT NULL,
    id                 BLOB NOT NULL,
    number             TEXT NOT NULL,
    patient_id         BLOB,
    prescription_id    BLOB,
    patient_ref        TEXT,
    routing            TEXT NOT NULL DEFAULT 'in_house',
    counterpart_tenant_id BLOB,
    counterpart_order_id  BLOB,
    counterpart_name   TEXT,
    counterpart_number TEXT,
    reason             TEXT NOT NULL,
    original_order_id  BLOB,
    rx                 TEXT NOT NULL,
    lens_type          TEXT NOT NULL,
    material           TEXT NOT NULL,
    lens_index         INTEGER NOT NULL CHECK (lens_index BETWEEN 1400 AND 2000),
    coatings           TEXT NOT NULL DEFAULT '[]',
    tint               TEXT,
    frame              TEXT NOT NULL,
    frame_a            INTEGER CHECK (frame_a > 0),
    frame_b            INTEGER CHECK (frame_b > 0),
    frame_dbl          INTEGER CHECK (frame_dbl > 0),
    pd_right           INTEGER NOT NULL CHECK (pd_right BETWEEN 200 AND 450),
    pd_left            INTEGER NOT NULL CHECK (pd_left BETWEEN 200 AND 450),
    height_right       INTEGER CHECK (height_right BETWEEN 80 AND 450),
    height_left        INTEGER CHECK (height_left BETWEEN 80 AND 450),
    due_on             TEXT NOT NULL,
    priority           TEXT NOT NULL,
    priority_rank      INTEGER GENERATED ALWAYS AS (
                           CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END
                       ) VIRTUAL,
    price_minor        INTEGER NOT NULL CHECK (price_minor >= 0),
    currency           TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    status             TEXT NOT NULL,
    held_from          TEXT,
    station            TEXT,
    quality_issue      TEXT,
    notes              TEXT NOT NULL DEFAULT '',
    created_by         BLOB,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    frame_item_id      BLOB,
    patient_erased_at  TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, prescription_id) REFERENCES prescriptions (tenant_id, id),
    FOREIGN KEY (tenant_id, original_order_id) REFERENCES lab_orders (tenant_id, id),
    CHECK ((reason = 'new') = (original_order_id IS NULL)),
    CHECK ((status = 'on_hold') = (held_from IS NOT NULL)),
    CHECK (routing IN ('in_house', 'to_lab', 'from_practice')),
    CHECK ((routing = 'in_house') = (counterpart_tenant_id IS NULL)),
    CHECK ((counterpart_tenant_id IS NULL) = (counterpart_order_id IS NULL)),
    CHECK ((routing = 'from_practice' OR patient_erased_at IS NOT NULL) = (patient_id IS NULL)),
    CHECK (routing = 'from_practice' OR patient_erased_at IS NOT NULL OR prescription_id IS NOT NULL)
) STRICT;
INSERT INTO lab_orders (
    tenant_id, id, number, patient_id, prescription_id, patient_ref, routing, counterpart_tenant_id,
    counterpart_order_id, counterpart_name, counterpart_number, reason, original_order_id, rx,
    lens_type, material, lens_index, coatings, tint, frame, frame_a, frame_b, frame_dbl, pd_right,
    pd_left, height_right, height_left, due_on, priority, price_minor, currency, status, held_from,
    station, quality_issue, notes, created_by, created_at, updated_at, frame_item_id)
SELECT * FROM lab_orders_copy ORDER BY tenant_id, id;
DROP TABLE lab_orders_copy;
CREATE INDEX lab_orders_queue ON lab_orders (tenant_id, priority_rank, due_on, id);
CREATE INDEX lab_orders_patient ON lab_orders (tenant_id, patient_id, id);
CREATE INDEX lab_orders_original ON lab_orders (tenant_id, original_order_id, id);
CREATE INDEX lab_orders_created ON lab_orders (tenant_id, created_at, id);

CREATE TABLE patient_consents (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    patient_id   BLOB NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('marketing', 'recall_channel')),
    choice       TEXT NOT NULL,
    wording      TEXT NOT NULL CHECK (length(wording) BETWEEN 1 AND 2000),
    source       TEXT NOT NULL CHECK (source IN ('in_person', 'phone', 'paper_form', 'email', 'online')),
    recorded_by  BLOB,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    CHECK ((kind = 'marketing' AND choice IN ('granted', 'withdrawn'))
        OR (kind = 'recall_channel' AND choice IN ('email', 'sms', 'post', 'none')))
) STRICT;
CREATE INDEX patient_consents_patient ON patient_consents (tenant_id, patient_id, id);

CREATE TABLE patient_exports (
    tenant_id     BLOB NOT NULL,
    file_id       BLOB NOT NULL,
    patient_id    BLOB NOT NULL,
    requested_by  BLOB,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, file_id),
    FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id)
) STRICT;
CREATE INDEX patient_exports_patient ON patient_exports (tenant_id, patient_id, created_at);

CREATE TABLE patient_tombstones (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id),
    patient_id     BLOB NOT NULL,
    retain_until   TEXT NOT NULL CHECK (retain_until GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    restricted_on  TEXT NOT NULL CHECK (restricted_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    erased_at      TEXT NOT NULL,
    removed        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, patient_id)
) STRICT;

CREATE TABLE audit_purges (
    id           BLOB PRIMARY KEY,
    cutoff       TEXT NOT NULL,
    archive      TEXT NOT NULL CHECK (length(archive) BETWEEN 1 AND 500),
    exported     INTEGER NOT NULL CHECK (exported >= 0),
    deleted      INTEGER CHECK (deleted >= 0),
    started_at   TEXT NOT NULL,
    finished_at  TEXT
) STRICT;
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_purges p WHERE p.finished_at IS NULL AND old.at < p.cutoff)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
