-- The practice's till; see migrations/postgres (docs/adr/047-till.md).
CREATE TABLE till_numbers (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL CHECK (kind IN ('invoice', 'receipt', 'credit_note')),
    last        INTEGER NOT NULL CHECK (last >= 0),
    PRIMARY KEY (tenant_id, kind)
) STRICT;

CREATE TABLE sales (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    id              BLOB NOT NULL,
    patient_id      BLOB,
    order_id        BLOB,
    status          TEXT NOT NULL CHECK (status IN ('open', 'completed')),
    invoice_number  INTEGER,
    total_minor     INTEGER NOT NULL CHECK (total_minor >= 0),
    vat_minor       INTEGER NOT NULL CHECK (vat_minor >= 0),
    paid_minor      INTEGER NOT NULL CHECK (paid_minor >= 0),
    refunded_minor  INTEGER NOT NULL CHECK (refunded_minor >= 0),
    created_by      BLOB REFERENCES users (id),
    created_at      TEXT NOT NULL,
    completed_by    BLOB REFERENCES users (id),
    completed_at    TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, invoice_number),
    CHECK ((status = 'completed') = (invoice_number IS NOT NULL AND completed_at IS NOT NULL)),
    CHECK (paid_minor <= total_minor),
    CHECK (status = 'open' OR paid_minor = total_minor),
    CHECK (refunded_minor <= total_minor),
    FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES lab_orders (tenant_id, id)
) STRICT;
CREATE INDEX sales_patient ON sales (tenant_id, patient_id);
CREATE INDEX sales_completed ON sales (tenant_id, completed_at);

CREATE TABLE sale_lines (
    tenant_id         BLOB NOT NULL REFERENCES tenants (id),
    sale_id           BLOB NOT NULL,
    line_no           INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 100),
    kind              TEXT NOT NULL CHECK (kind IN ('frame', 'lenses', 'contact_lenses', 'solution',
                          'accessory', 'repair', 'sight_test', 'contact_lens_check', 'dispensing')),
    description       TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    item_id           BLOB,
    location_id       BLOB,
    quantity          INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price_minor  INTEGER NOT NULL CHECK (unit_price_minor BETWEEN 0 AND 10000000),
    discount_minor    INTEGER NOT NULL CHECK (discount_minor >= 0),
    vat_rate          TEXT NOT NULL CHECK (vat_rate IN ('standard', 'exempt')),
    vat_percent       INTEGER NOT NULL CHECK (vat_percent BETWEEN 0 AND 100),
    gross_minor       INTEGER NOT NULL,
    vat_minor         INTEGER NOT NULL CHECK (vat_minor >= 0 AND vat_minor <= gross_minor),
    PRIMARY KEY (tenant_id, sale_id, line_no),
    CHECK (gross_minor = unit_price_minor * quantity - discount_minor AND gross_minor >= 0),
    CHECK ((vat_rate = 'exempt') = (vat_percent = 0)),
    CHECK (vat_rate = 'standard' OR vat_minor = 0),
    CHECK ((item_id IS NULL) = (location_id IS NULL)),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id)
) STRICT;

CREATE TABLE sale_payments (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    id              BLOB NOT NULL,
    sale_id         BLOB NOT NULL,
    receipt_number  INTEGER NOT NULL,
    method          TEXT NOT NULL CHECK (method IN ('cash', 'card', 'nhs_voucher')),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    reference       TEXT NOT NULL CHECK (length(reference) <= 100),
    taken_by        BLOB REFERENCES users (id),
    taken_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, receipt_number),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id)
) STRICT;
CREATE INDEX sale_payments_sale ON sale_payments (tenant_id, sale_id);
CREATE INDEX sale_payments_taken ON sale_payments (tenant_id, taken_at);

CREATE TABLE credit_notes (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    id              BLOB NOT NULL,
    sale_id         BLOB NOT NULL,
    number          INTEGER NOT NULL,
    reason          TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    refund_method   TEXT NOT NULL CHECK (refund_method IN ('cash', 'card')),
    total_minor     INTEGER NOT NULL CHECK (total_minor > 0),
    vat_minor       INTEGER NOT NULL CHECK (vat_minor >= 0 AND vat_minor <= total_minor),
    created_by      BLOB REFERENCES users (id),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, sale_id) REFERENCES sales (tenant_id, id)
) STRICT;
CREATE INDEX credit_notes_sale ON credit_notes (tenant_id, sale_id);
CREATE INDEX credit_notes_created ON credit_notes (tenant_id, created_at);

CREATE TABLE credit_note_lines (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    credit_note_id  BLOB NOT NULL,
    sale_id         BLOB NOT NULL,
    line_no         INTEGER NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    gross_minor     INTEGER NOT NULL CHECK (gross_minor >= 0),
    vat_minor       INTEGER NOT NULL CHECK (vat_minor >= 0 AND vat_minor <= gross_minor),
    PRIMARY KEY (tenant_id, credit_note_id, line_no),
    FOREIGN KEY (tenant_id, credit_note_id) REFERENCES credit_notes (tenant_id, id),
    FOREIGN KEY (tenant_id, sale_id, line_no) REFERENCES sale_lines (tenant_id, sale_id, line_no)
) STRICT;
