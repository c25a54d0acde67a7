-- Suppliers on ILS; see migrations/postgres. SQLite cannot change a CHECK, so the deliveries
-- table is rebuilt with the new columns (nothing references it).
ALTER TABLE suppliers ADD COLUMN tenant_id BLOB REFERENCES tenants (id);
CREATE UNIQUE INDEX suppliers_tenant ON suppliers (tenant_id) WHERE tenant_id IS NOT NULL;

CREATE TABLE purchase_order_deliveries_new (
    tenant_id          BLOB NOT NULL REFERENCES tenants (id),
    id                 BLOB NOT NULL,
    purchase_order_id  BLOB NOT NULL,
    to_address         TEXT,
    status             TEXT NOT NULL CHECK (status IN ('queued', 'delivered', 'failed', 'not_emailed')),
    error              TEXT,
    file_id            BLOB,
    attempts           INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    requested_by       BLOB REFERENCES users (id),
    created_at         TEXT NOT NULL,
    delivered_at       TEXT,
    updated_at         TEXT NOT NULL,
    to_tenant_id       BLOB REFERENCES tenants (id),
    acknowledged_at    TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    CHECK (status = 'not_emailed' OR (to_address IS NULL) <> (to_tenant_id IS NULL)),
    CHECK (status <> 'delivered' OR delivered_at IS NOT NULL)
) STRICT;
INSERT INTO purchase_order_deliveries_new (tenant_id, id, purchase_order_id, to_address, status, error,
    file_id, attempts, requested_by, created_at, delivered_at, updated_at)
SELECT tenant_id, id, purchase_order_id, to_address, status, error, file_id, attempts, requested_by,
    created_at, delivered_at, updated_at
FROM purchase_order_deliveries;
DROP TABLE purchase_order_deliveries;
ALTER TABLE purchase_order_deliveries_new RENAME TO purchase_order_deliveries;
CREATE INDEX purchase_order_deliveries_order ON purchase_order_deliveries (tenant_id, purchase_order_id, id);

CREATE TABLE received_purchase_orders (
    tenant_id          BLOB NOT NULL REFERENCES tenants (id),
    id                 BLOB NOT NULL,
    buyer_tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    buyer_name         TEXT NOT NULL,
    buyer_address      TEXT NOT NULL,
    buyer_phone        TEXT,
    buyer_email        TEXT,
    delivery_id        BLOB NOT NULL,
    purchase_order_id  BLOB NOT NULL,
    number             TEXT NOT NULL,
    account_number     TEXT,
    deliver_to         TEXT NOT NULL,
    currency           TEXT NOT NULL,
    total_minor        INTEGER NOT NULL,
    notes              TEXT NOT NULL,
    lines              TEXT NOT NULL,
    file_id            BLOB,
    sent_again         INTEGER NOT NULL CHECK (sent_again IN (0, 1)),
    status             TEXT NOT NULL CHECK (status IN ('new', 'acknowledged')),
    received_at        TEXT NOT NULL,
    acknowledged_at    TEXT,
    acknowledged_by    BLOB REFERENCES users (id),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, delivery_id),
    FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id),
    CHECK (status = 'new' OR acknowledged_at IS NOT NULL)
) STRICT;
CREATE INDEX received_purchase_orders_status ON received_purchase_orders (tenant_id, status, id);
