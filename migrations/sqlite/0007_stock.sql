-- Purchasing and stock: the global supplier directory and each tenant's accounts with it, the
-- item catalogue, stock locations, stock per item per location with its movement ledger,
-- adjustments, transfers, purchase orders with goods receipts, and stock counts.
--
-- The invariants are constraints, not only application checks: stock is never negative,
-- quantities are positive, an adjustment is never zero, a transfer joins two different
-- locations, a line is never received beyond what was ordered. See docs/adr/009.

-- Suppliers are global: one row per company, shared by every tenant that buys from it.
CREATE TABLE suppliers (
    id                 BLOB NOT NULL PRIMARY KEY,
    name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_key           TEXT NOT NULL,
    email              TEXT,
    phone              TEXT,
    website            TEXT,
    created_by_tenant  BLOB REFERENCES tenants (id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX suppliers_name_key ON suppliers (name_key);

-- A tenant's account with a supplier: the link, with the account number and terms.
CREATE TABLE supplier_accounts (
    tenant_id           BLOB NOT NULL REFERENCES tenants (id),
    supplier_id         BLOB NOT NULL REFERENCES suppliers (id),
    account_number      TEXT CHECK (length(account_number) BETWEEN 1 AND 60),
    payment_terms_days  INTEGER NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 365),
    notes               TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, supplier_id)
) STRICT;

CREATE TABLE items (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id),
    id             BLOB NOT NULL,
    sku            TEXT NOT NULL CHECK (length(sku) BETWEEN 1 AND 60),
    barcode        TEXT CHECK (length(barcode) BETWEEN 1 AND 64),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    unit           TEXT NOT NULL CHECK (unit IN ('each', 'pair', 'box', 'pack', 'bottle')),
    reorder_point  INTEGER NOT NULL CHECK (reorder_point >= 0),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, sku)
) STRICT;
CREATE UNIQUE INDEX items_barcode ON items (tenant_id, barcode) WHERE barcode IS NOT NULL;

CREATE TABLE stock_locations (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    id          BLOB NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
) STRICT;

-- Stock of one item at one location. `version` grows with every change: a stock count compares
-- it to tell whether the item moved while it was being counted.
CREATE TABLE stock_levels (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    item_id      BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    quantity     INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, item_id, location_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT stock_never_negative CHECK (quantity >= 0),
    CHECK (version >= 0)
) STRICT;
CREATE INDEX stock_levels_location ON stock_levels (tenant_id, location_id, id);

-- The ledger: every change of every stock level, with what caused it.
CREATE TABLE stock_movements (
    tenant_id       BLOB NOT NULL,
    id              BLOB NOT NULL,
    item_id         BLOB NOT NULL,
    location_id     BLOB NOT NULL,
    delta           INTEGER NOT NULL,
    quantity_after  INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('adjustment', 'transfer_out', 'transfer_in', 'receipt', 'count')),
    reference_id    BLOB NOT NULL,
    actor_id        BLOB,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT movement_not_zero CHECK (delta <> 0),
    CHECK (quantity_after >= 0)
) STRICT;
CREATE INDEX stock_movements_level ON stock_movements (tenant_id, item_id, location_id, id);

CREATE TABLE stock_adjustments (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    item_id      BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    quantity     INTEGER NOT NULL,
    reason       TEXT NOT NULL CHECK (reason IN ('opening_balance', 'found', 'damaged', 'lost', 'used', 'returned_to_supplier', 'correction')),
    note         TEXT NOT NULL DEFAULT '',
    created_by   BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT adjustment_not_zero CHECK (quantity <> 0)
) STRICT;

CREATE TABLE stock_transfers (
    tenant_id         BLOB NOT NULL,
    id                BLOB NOT NULL,
    item_id           BLOB NOT NULL,
    from_location_id  BLOB NOT NULL,
    to_location_id    BLOB NOT NULL,
    quantity          INTEGER NOT NULL,
    note              TEXT NOT NULL DEFAULT '',
    created_by        BLOB,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, from_location_id) REFERENCES stock_locations (tenant_id, id),
    FOREIGN KEY (tenant_id, to_location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT transfer_quantity_positive CHECK (quantity > 0),
    CONSTRAINT transfer_locations_differ CHECK (from_location_id <> to_location_id)
) STRICT;

CREATE TABLE purchase_orders (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    number       TEXT NOT NULL,
    supplier_id  BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'partially_received', 'received', 'cancelled')),
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    notes        TEXT NOT NULL DEFAULT '',
    created_by   BLOB,
    sent_at      TEXT,
    closed_at    TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES supplier_accounts (tenant_id, supplier_id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id)
) STRICT;

CREATE TABLE purchase_order_lines (
    tenant_id          BLOB NOT NULL,
    purchase_order_id  BLOB NOT NULL,
    line_no            INTEGER NOT NULL CHECK (line_no >= 1),
    item_id            BLOB NOT NULL,
    quantity           INTEGER NOT NULL,
    received_quantity  INTEGER NOT NULL DEFAULT 0,
    unit_price_minor   INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (tenant_id, purchase_order_id, line_no),
    UNIQUE (tenant_id, purchase_order_id, item_id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    CONSTRAINT line_quantity_positive CHECK (quantity > 0),
    CONSTRAINT line_received_within_ordered CHECK (received_quantity BETWEEN 0 AND quantity)
) STRICT;

CREATE TABLE goods_receipts (
    tenant_id          BLOB NOT NULL,
    id                 BLOB NOT NULL,
    purchase_order_id  BLOB NOT NULL,
    note               TEXT NOT NULL DEFAULT '',
    received_by        BLOB,
    received_at        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id)
) STRICT;
CREATE INDEX goods_receipts_order ON goods_receipts (tenant_id, purchase_order_id, id);

CREATE TABLE goods_receipt_lines (
    tenant_id         BLOB NOT NULL,
    goods_receipt_id  BLOB NOT NULL,
    item_id           BLOB NOT NULL,
    quantity          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, goods_receipt_id, item_id),
    FOREIGN KEY (tenant_id, goods_receipt_id) REFERENCES goods_receipts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    CONSTRAINT receipt_quantity_positive CHECK (quantity > 0)
) STRICT;

CREATE TABLE stock_counts (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'finalised', 'cancelled')),
    overridden   INTEGER NOT NULL DEFAULT 0 CHECK (overridden IN (0, 1)),
    started_by   BLOB,
    started_at   TEXT NOT NULL,
    closed_by    BLOB,
    closed_at    TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id)
) STRICT;
-- One open count per location at a time.
CREATE UNIQUE INDEX stock_counts_open ON stock_counts (tenant_id, location_id) WHERE status = 'open';

-- What a count expects (the stock and its version when the count opened) and what was counted.
CREATE TABLE stock_count_lines (
    tenant_id          BLOB NOT NULL,
    stock_count_id     BLOB NOT NULL,
    item_id            BLOB NOT NULL,
    expected_quantity  INTEGER NOT NULL CHECK (expected_quantity >= 0),
    expected_version   INTEGER NOT NULL CHECK (expected_version >= 0),
    counted_quantity   INTEGER CHECK (counted_quantity >= 0),
    counted_at         TEXT,
    moved              INTEGER NOT NULL DEFAULT 0 CHECK (moved IN (0, 1)),
    PRIMARY KEY (tenant_id, stock_count_id, item_id),
    FOREIGN KEY (tenant_id, stock_count_id) REFERENCES stock_counts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
) STRICT;
