-- Stock moved by plugins (ils:platform inventory.record-movements, docs/adr/030): sales and
-- customer returns join the ledger's kinds, and each plugin movement is recorded once per
-- idempotency key, so a webhook delivered twice, or an order seen in two webhooks, moves stock
-- once. SQLite cannot alter a CHECK, so the ledger is rebuilt with the wider one (nothing
-- references it).

CREATE TABLE stock_movements_new (
    tenant_id       BLOB NOT NULL,
    id              BLOB NOT NULL,
    item_id         BLOB NOT NULL,
    location_id     BLOB NOT NULL,
    delta           INTEGER NOT NULL,
    quantity_after  INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('adjustment', 'transfer_out', 'transfer_in', 'receipt', 'count', 'sale', 'return')),
    reference_id    BLOB NOT NULL,
    actor_id        BLOB,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CONSTRAINT movement_not_zero CHECK (delta <> 0),
    CHECK (quantity_after >= 0)
) STRICT;
INSERT INTO stock_movements_new
    SELECT tenant_id, id, item_id, location_id, delta, quantity_after, kind, reference_id, actor_id, created_at
    FROM stock_movements;
DROP TABLE stock_movements;
ALTER TABLE stock_movements_new RENAME TO stock_movements;
CREATE INDEX stock_movements_level ON stock_movements (tenant_id, item_id, location_id, id);
CREATE INDEX stock_movements_created ON stock_movements (tenant_id, created_at, id);

-- One row per key: the ledger row's reference_id is this row's id.
CREATE TABLE plugin_stock_movements (
    tenant_id       BLOB NOT NULL,
    key             TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    id              BLOB NOT NULL,
    plugin_id       TEXT NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    item_id         BLOB NOT NULL,
    location_id     BLOB NOT NULL,
    delta           INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('sale', 'return', 'adjustment')),
    note            TEXT NOT NULL DEFAULT '',
    quantity_after  INTEGER NOT NULL CHECK (quantity_after >= 0),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CHECK ((kind = 'sale' AND delta < 0) OR (kind = 'return' AND delta > 0) OR (kind = 'adjustment' AND delta <> 0))
) STRICT;
