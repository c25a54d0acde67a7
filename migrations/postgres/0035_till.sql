-- The practice's till (docs/adr/047-till.md): sales with their lines and VAT, payments with
-- receipt numbers, credit notes, and one gap-free sequence per practice and kind of number. Money
-- is in integer pence; each line's arithmetic is checked here, whatever the code does.
CREATE TABLE till_numbers (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    kind        text NOT NULL CHECK (kind IN ('invoice', 'receipt', 'credit_note')),
    last        bigint NOT NULL CHECK (last >= 0),
    PRIMARY KEY (tenant_id, kind)
);
ALTER TABLE till_numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE till_numbers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON till_numbers USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON till_numbers TO ils_app;

CREATE TABLE sales (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    patient_id      uuid,
    order_id        uuid,
    status          text NOT NULL CHECK (status IN ('open', 'completed')),
    invoice_number  bigint,
    total_minor     bigint NOT NULL CHECK (total_minor >= 0),
    vat_minor       bigint NOT NULL CHECK (vat_minor >= 0),
    paid_minor      bigint NOT NULL CHECK (paid_minor >= 0),
    refunded_minor  bigint NOT NULL CHECK (refunded_minor >= 0),
    created_by      uuid REFERENCES users (id),
    created_at      timestamptz NOT NULL,
    completed_by    uuid REFERENCES users (id),
    completed_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, invoice_number),
    CHECK ((status = 'completed') = (invoice_number IS NOT NULL AND completed_at IS NOT NULL)),
    CHECK (paid_minor <= total_minor),
    CHECK (status = 'open' OR paid_minor = total_minor),
    CHECK (refunded_minor <= total_minor),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id)
);
CREATE INDEX sales_patient ON sales (tenant_id, patient_id);
CREATE INDEX sales_completed ON sales (tenant_id, completed_at);
ALTER TABLE sales ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sales USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON sales TO ils_app;

CREATE TABLE sale_lines (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    sale_id           uuid NOT NULL,
    line_no           integer NOT NULL CHECK (line_no BETWEEN 1 AND 100),
    kind              text NOT NULL CHECK (kind IN ('frame', 'lenses', 'contact_lenses', 'solution',
                          'accessory', 'repair', 'sight_test', 'contact_lens_check', 'dispensing')),
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    item_id           uuid,
    location_id       uuid,
    quantity          integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price_minor  bigint NOT NULL CHECK (unit_price_minor BETWEEN 0 AND 10000000),
    discount_minor    bigint NOT NULL CHECK (discount_minor >= 0),
    vat_rate          text NOT NULL CHECK (vat_rate IN ('standard', 'exempt')),
    vat_percent       integer NOT NULL CHECK (vat_percent BETWEEN 0 AND 100),
    gross_minor       bigint NOT NULL,
    vat_minor         bigint NOT NULL CHECK (vat_minor >= 0 AND vat_minor <= gross_minor),
    PRIMARY KEY (tenant_id, sale_id, line_no),
    CHECK (gross_minor = unit_price_minor * quantity - discount_minor AND gross_minor >= 0),
    CHECK ((vat_rate = 'exempt') = (vat_percent = 0)),
    CHECK (vat_rate = 'standard' OR vat_minor = 0),
    CHECK ((item_id IS NULL) = (location_id IS NULL)),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id)
);
ALTER TABLE sale_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE sale_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sale_lines USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, DELETE ON sale_lines TO ils_app;

CREATE TABLE sale_payments (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    sale_id         uuid NOT NULL,
    receipt_number  bigint NOT NULL,
    method          text NOT NULL CHECK (method IN ('cash', 'card', 'nhs_voucher')),
    amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
    reference       text NOT NULL CHECK (length(reference) <= 100),
    taken_by        uuid REFERENCES users (id),
    taken_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, receipt_number),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id)
);
CREATE INDEX sale_payments_sale ON sale_payments (tenant_id, sale_id);
CREATE INDEX sale_payments_taken ON sale_payments (tenant_id, taken_at);
ALTER TABLE sale_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE sale_payments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sale_payments USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT ON sale_payments TO ils_app;

CREATE TABLE credit_notes (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    sale_id         uuid NOT NULL,
    number          bigint NOT NULL,
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    refund_method   text NOT NULL CHECK (refund_method IN ('cash', 'card')),
    total_minor     bigint NOT NULL CHECK (total_minor > 0),
    vat_minor       bigint NOT NULL CHECK (vat_minor >= 0 AND vat_minor <= total_minor),
    created_by      uuid REFERENCES users (id),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id)
);
CREATE INDEX credit_notes_sale ON credit_notes (tenant_id, sale_id);
CREATE INDEX credit_notes_created ON credit_notes (tenant_id, created_at);
ALTER TABLE credit_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credit_notes USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT ON credit_notes TO ils_app;

CREATE TABLE credit_note_lines (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    credit_note_id  uuid NOT NULL,
    sale_id         uuid NOT NULL,
    line_no         integer NOT NULL,
    quantity        integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    gross_minor     bigint NOT NULL CHECK (gross_minor >= 0),
    vat_minor       bigint NOT NULL CHECK (vat_minor >= 0 AND vat_minor <= gross_minor),
    PRIMARY KEY (tenant_id, credit_note_id, line_no),
    FOREIGN KEY (tenant_id, credit_note_id) REFERENCES credit_notes (tenant_id, id),
    FOREIGN KEY (tenant_id, sale_id, line_no) REFERENCES sale_lines (tenant_id, sale_id, line_no)
);
ALTER TABLE credit_note_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_note_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credit_note_lines USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT ON credit_note_lines TO ils_app;
