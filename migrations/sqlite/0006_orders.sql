-- Lab orders (spectacle jobs) and their timelines. An order keeps the prescription it is made to
-- (checked JSON, minus-cylinder form) so lab staff never need the patient's record, and so a
-- later prescription does not change a job in production. Measurements are in tenths of a
-- millimetre; the lens index in thousandths (1.67 → 1670); money in minor units.
--
-- A practice may send an order to a lab it has an account with (lab_accounts, owned by the lab).
-- The job then exists twice, once in each tenant: the practice's order (routing 'to_lab') and
-- the lab's (routing 'from_practice'), each naming the other (counterpart_*). The lab's copy
-- carries no patient: only the practice's reference for the patient (patient_ref). A move of
-- either is applied to both in one transaction.

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
    CHECK ((routing = 'from_practice') = (patient_id IS NULL)),
    CHECK (routing = 'from_practice' OR prescription_id IS NOT NULL)
) STRICT;
CREATE INDEX lab_orders_queue ON lab_orders (tenant_id, priority_rank, due_on, id);
CREATE INDEX lab_orders_patient ON lab_orders (tenant_id, patient_id, id);
CREATE INDEX lab_orders_original ON lab_orders (tenant_id, original_order_id);

-- A lab's account for a practice: the practice may send the lab orders. Owned by the lab; the
-- practice reads it (to choose a lab). Names are copied so neither side reads the other's tenant.
CREATE TABLE lab_accounts (
    tenant_id          BLOB NOT NULL,
    practice_tenant_id BLOB NOT NULL,
    lab_slug           TEXT NOT NULL,
    lab_name           TEXT NOT NULL,
    practice_slug      TEXT NOT NULL,
    practice_name      TEXT NOT NULL,
    account_number     TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, practice_tenant_id),
    FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    FOREIGN KEY (practice_tenant_id) REFERENCES tenants (id),
    CHECK (tenant_id <> practice_tenant_id)
) STRICT;
CREATE INDEX lab_accounts_practice ON lab_accounts (practice_tenant_id);

CREATE TABLE lab_order_timeline (
    tenant_id      BLOB NOT NULL,
    id             BLOB NOT NULL,
    order_id       BLOB NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    from_station   TEXT,
    to_station     TEXT,
    note           TEXT,
    quality_issue  TEXT,
    actor_kind     TEXT NOT NULL,
    actor_id       BLOB,
    at             TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id)
) STRICT;
CREATE INDEX lab_order_timeline_order ON lab_order_timeline (tenant_id, order_id, id);

-- The timeline is history: rows are never changed or removed.
CREATE TRIGGER lab_order_timeline_no_update BEFORE UPDATE ON lab_order_timeline
BEGIN SELECT RAISE(ABORT, 'the order timeline is append-only'); END;
CREATE TRIGGER lab_order_timeline_no_delete BEFORE DELETE ON lab_order_timeline
BEGIN SELECT RAISE(ABORT, 'the order timeline is append-only'); END;
