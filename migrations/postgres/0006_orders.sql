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
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    number             text NOT NULL,
    patient_id         uuid,
    prescription_id    uuid,
    patient_ref        text,
    routing            text NOT NULL DEFAULT 'in_house',
    counterpart_tenant_id uuid,
    counterpart_order_id  uuid,
    counterpart_name   text,
    counterpart_number text,
    reason             text NOT NULL,
    original_order_id  uuid,
    rx                 text NOT NULL,
    lens_type          text NOT NULL,
    material           text NOT NULL,
    lens_index         integer NOT NULL CHECK (lens_index BETWEEN 1400 AND 2000),
    coatings           text NOT NULL DEFAULT '[]',
    tint               text,
    frame              text NOT NULL,
    frame_a            integer CHECK (frame_a > 0),
    frame_b            integer CHECK (frame_b > 0),
    frame_dbl          integer CHECK (frame_dbl > 0),
    pd_right           integer NOT NULL CHECK (pd_right BETWEEN 200 AND 450),
    pd_left            integer NOT NULL CHECK (pd_left BETWEEN 200 AND 450),
    height_right       integer CHECK (height_right BETWEEN 80 AND 450),
    height_left        integer CHECK (height_left BETWEEN 80 AND 450),
    due_on             text NOT NULL,
    priority           text NOT NULL,
    priority_rank      integer GENERATED ALWAYS AS (
                           CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END
                       ) STORED,
    price_minor        bigint NOT NULL CHECK (price_minor >= 0),
    currency           text NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    status             text NOT NULL,
    held_from          text,
    station            text,
    quality_issue      text,
    notes              text NOT NULL DEFAULT '',
    created_by         uuid,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
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
);
CREATE INDEX lab_orders_queue ON lab_orders (tenant_id, priority_rank, due_on, id);
CREATE INDEX lab_orders_patient ON lab_orders (tenant_id, patient_id, id);
CREATE INDEX lab_orders_original ON lab_orders (tenant_id, original_order_id);

-- A lab's account for a practice: the practice may send the lab orders. Owned by the lab; the
-- practice reads it (to choose a lab). Names are copied so neither side reads the other's tenant.
CREATE TABLE lab_accounts (
    tenant_id          uuid NOT NULL,
    practice_tenant_id uuid NOT NULL,
    lab_slug           text NOT NULL,
    lab_name           text NOT NULL,
    practice_slug      text NOT NULL,
    practice_name      text NOT NULL,
    account_number     text NOT NULL,
    created_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, practice_tenant_id),
    FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    FOREIGN KEY (practice_tenant_id) REFERENCES tenants (id),
    CHECK (tenant_id <> practice_tenant_id)
);
CREATE INDEX lab_accounts_practice ON lab_accounts (practice_tenant_id);

CREATE TABLE lab_order_timeline (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    order_id       uuid NOT NULL,
    from_status    text,
    to_status      text NOT NULL,
    from_station   text,
    to_station     text,
    note           text,
    quality_issue  text,
    actor_kind     text NOT NULL,
    actor_id       uuid,
    at             timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id)
);
CREATE INDEX lab_order_timeline_order ON lab_order_timeline (tenant_id, order_id, id);

-- The timeline is history: the service role may only add rows, and nobody may change them.
CREATE FUNCTION ils_order_timeline_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the order timeline is append-only';
END;
$$;
CREATE TRIGGER lab_order_timeline_append_only BEFORE UPDATE OR DELETE ON lab_order_timeline
    FOR EACH ROW EXECUTE FUNCTION ils_order_timeline_append_only();

ALTER TABLE lab_orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE lab_orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lab_orders
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE lab_order_timeline ENABLE ROW LEVEL SECURITY;
ALTER TABLE lab_order_timeline FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lab_order_timeline
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());

GRANT SELECT, INSERT, UPDATE ON lab_orders TO ils_app;
GRANT SELECT, INSERT ON lab_order_timeline TO ils_app;

-- Both sides read an account; only the lab writes it.
ALTER TABLE lab_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE lab_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY lab_or_practice_reads ON lab_accounts FOR SELECT
    USING (tenant_id = ils_current_tenant() OR practice_tenant_id = ils_current_tenant() OR ils_system_scope());
CREATE POLICY lab_inserts ON lab_accounts FOR INSERT
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
CREATE POLICY lab_deletes ON lab_accounts FOR DELETE
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, DELETE ON lab_accounts TO ils_app;
