-- Purchasing and stock: the global supplier directory and each tenant's accounts with it, the
-- item catalogue, stock locations, stock per item per location with its movement ledger,
-- adjustments, transfers, purchase orders with goods receipts, and stock counts.
--
-- The invariants are constraints, not only application checks: stock is never negative,
-- quantities are positive, an adjustment is never zero, a transfer joins two different
-- locations, a line is never received beyond what was ordered. See docs/adr/009.

-- Suppliers are global: one row per company, shared by every tenant that buys from it.
CREATE TABLE suppliers (
    id                 uuid NOT NULL PRIMARY KEY,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_key           text NOT NULL,
    email              text,
    phone              text,
    website            text,
    created_by_tenant  uuid REFERENCES tenants (id),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE UNIQUE INDEX suppliers_name_key ON suppliers (name_key);

-- A tenant's account with a supplier: the link, with the account number and terms.
CREATE TABLE supplier_accounts (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    supplier_id         uuid NOT NULL REFERENCES suppliers (id),
    account_number      text CHECK (length(account_number) BETWEEN 1 AND 60),
    payment_terms_days  integer NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 365),
    notes               text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, supplier_id)
);

CREATE TABLE items (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    sku            text NOT NULL CHECK (length(sku) BETWEEN 1 AND 60),
    barcode        text CHECK (length(barcode) BETWEEN 1 AND 64),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    unit           text NOT NULL CHECK (unit IN ('each', 'pair', 'box', 'pack', 'bottle')),
    reorder_point  bigint NOT NULL CHECK (reorder_point >= 0),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, sku)
);
CREATE UNIQUE INDEX items_barcode ON items (tenant_id, barcode) WHERE barcode IS NOT NULL;

CREATE TABLE stock_locations (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

-- Stock of one item at one location. `version` grows with every change: a stock count compares
-- it to tell whether the item moved while it was being counted.
CREATE TABLE stock_levels (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    item_id      uuid NOT NULL,
    location_id  uuid NOT NULL,
    quantity     bigint NOT NULL,
    version      bigint NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, item_id, location_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT stock_never_negative CHECK (quantity >= 0),
    CHECK (version >= 0)
);
CREATE INDEX stock_levels_location ON stock_levels (tenant_id, location_id, id);

-- The ledger: every change of every stock level, with what caused it.
CREATE TABLE stock_movements (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    item_id         uuid NOT NULL,
    location_id     uuid NOT NULL,
    delta           bigint NOT NULL,
    quantity_after  bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('adjustment', 'transfer_out', 'transfer_in', 'receipt', 'count')),
    reference_id    uuid NOT NULL,
    actor_id        uuid,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT movement_not_zero CHECK (delta <> 0),
    CHECK (quantity_after >= 0)
);
CREATE INDEX stock_movements_level ON stock_movements (tenant_id, item_id, location_id, id);

CREATE TABLE stock_adjustments (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    item_id      uuid NOT NULL,
    location_id  uuid NOT NULL,
    quantity     bigint NOT NULL,
    reason       text NOT NULL CHECK (reason IN ('opening_balance', 'found', 'damaged', 'lost', 'used', 'returned_to_supplier', 'correction')),
    note         text NOT NULL DEFAULT '',
    created_by   uuid,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT adjustment_not_zero CHECK (quantity <> 0)
);

CREATE TABLE stock_transfers (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    item_id           uuid NOT NULL,
    from_location_id  uuid NOT NULL,
    to_location_id    uuid NOT NULL,
    quantity          bigint NOT NULL,
    note              text NOT NULL DEFAULT '',
    created_by        uuid,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, from_location_id) REFERENCES stock_locations (tenant_id, id),
    FOREIGN KEY (tenant_id, to_location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT transfer_quantity_positive CHECK (quantity > 0),
    CONSTRAINT transfer_locations_differ CHECK (from_location_id <> to_location_id)
);

CREATE TABLE purchase_orders (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    number       text NOT NULL,
    supplier_id  uuid NOT NULL,
    location_id  uuid NOT NULL,
    status       text NOT NULL CHECK (status IN ('draft', 'sent', 'partially_received', 'received', 'cancelled')),
    currency     text NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    notes        text NOT NULL DEFAULT '',
    created_by   uuid,
    sent_at      timestamptz,
    closed_at    timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES supplier_accounts (tenant_id, supplier_id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id)
);

CREATE TABLE purchase_order_lines (
    tenant_id          uuid NOT NULL,
    purchase_order_id  uuid NOT NULL,
    line_no            integer NOT NULL CHECK (line_no >= 1),
    item_id            uuid NOT NULL,
    quantity           bigint NOT NULL,
    received_quantity  bigint NOT NULL DEFAULT 0,
    unit_price_minor   bigint NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (tenant_id, purchase_order_id, line_no),
    UNIQUE (tenant_id, purchase_order_id, item_id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    CONSTRAINT line_quantity_positive CHECK (quantity > 0),
    CONSTRAINT line_received_within_ordered CHECK (received_quantity BETWEEN 0 AND quantity)
);

CREATE TABLE goods_receipts (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    purchase_order_id  uuid NOT NULL,
    note               text NOT NULL DEFAULT '',
    received_by        uuid,
    received_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id)
);
CREATE INDEX goods_receipts_order ON goods_receipts (tenant_id, purchase_order_id, id);

CREATE TABLE goods_receipt_lines (
    tenant_id         uuid NOT NULL,
    goods_receipt_id  uuid NOT NULL,
    item_id           uuid NOT NULL,
    quantity          bigint NOT NULL,
    PRIMARY KEY (tenant_id, goods_receipt_id, item_id),
    FOREIGN KEY (tenant_id, goods_receipt_id) REFERENCES goods_receipts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    CONSTRAINT receipt_quantity_positive CHECK (quantity > 0)
);

CREATE TABLE stock_counts (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    location_id  uuid NOT NULL,
    status       text NOT NULL CHECK (status IN ('open', 'finalised', 'cancelled')),
    overridden   boolean NOT NULL DEFAULT false,
    started_by   uuid,
    started_at   timestamptz NOT NULL,
    closed_by    uuid,
    closed_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id)
);
-- One open count per location at a time.
CREATE UNIQUE INDEX stock_counts_open ON stock_counts (tenant_id, location_id) WHERE status = 'open';

-- What a count expects (the stock and its version when the count opened) and what was counted.
CREATE TABLE stock_count_lines (
    tenant_id          uuid NOT NULL,
    stock_count_id     uuid NOT NULL,
    item_id            uuid NOT NULL,
    expected_quantity  bigint NOT NULL CHECK (expected_quantity >= 0),
    expected_version   bigint NOT NULL CHECK (expected_version >= 0),
    counted_quantity   bigint CHECK (counted_quantity >= 0),
    counted_at         timestamptz,
    moved              boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, stock_count_id, item_id),
    FOREIGN KEY (tenant_id, stock_count_id) REFERENCES stock_counts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
);

-- Row-level security. Tenant-owned tables: the usual policy.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['supplier_accounts', 'items', 'stock_locations', 'stock_levels',
        'stock_movements', 'stock_adjustments', 'stock_transfers', 'purchase_orders',
        'purchase_order_lines', 'goods_receipts', 'goods_receipt_lines', 'stock_counts',
        'stock_count_lines']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = ils_current_tenant() OR ils_system_scope())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON supplier_accounts, items, stock_locations, stock_levels, stock_movements,
    stock_adjustments, stock_transfers, purchase_orders, goods_receipts, goods_receipt_lines,
    stock_counts, stock_count_lines TO ils_app;
-- A draft's lines are replaced when the draft is edited.
GRANT SELECT, INSERT, UPDATE, DELETE ON purchase_order_lines TO ils_app;

-- The global supplier directory: every tenant reads it; a tenant adds a supplier in its own name
-- (created_by_tenant) and can never change or remove one afterwards, its own included; only the
-- platform (system scope) edits the directory.
ALTER TABLE suppliers ENABLE ROW LEVEL SECURITY;
ALTER TABLE suppliers FORCE ROW LEVEL SECURITY;
CREATE POLICY directory_read ON suppliers FOR SELECT USING (true);
CREATE POLICY directory_add ON suppliers FOR INSERT
    WITH CHECK (created_by_tenant = ils_current_tenant() OR ils_system_scope());
CREATE POLICY directory_edit ON suppliers FOR UPDATE USING (ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON suppliers TO ils_app;
