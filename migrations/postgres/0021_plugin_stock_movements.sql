-- Stock moved by plugins (ils:platform inventory.record-movements, docs/adr/030): sales and
-- customer returns join the ledger's kinds, and each plugin movement is recorded once per
-- idempotency key, so a webhook delivered twice, or an order seen in two webhooks, moves stock
-- once.

ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check
    CHECK (kind IN ('adjustment', 'transfer_out', 'transfer_in', 'receipt', 'count', 'sale', 'return'));

-- One row per key: the ledger row's reference_id is this row's id.
CREATE TABLE plugin_stock_movements (
    tenant_id       uuid NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    id              uuid NOT NULL,
    plugin_id       text NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    item_id         uuid NOT NULL,
    location_id     uuid NOT NULL,
    delta           bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('sale', 'return', 'adjustment')),
    note            text NOT NULL DEFAULT '',
    quantity_after  bigint NOT NULL CHECK (quantity_after >= 0),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES stock_locations (tenant_id, id),
    CHECK ((kind = 'sale' AND delta < 0) OR (kind = 'return' AND delta > 0) OR (kind = 'adjustment' AND delta <> 0))
);

ALTER TABLE plugin_stock_movements ENABLE ROW LEVEL SECURITY;
ALTER TABLE plugin_stock_movements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON plugin_stock_movements
    USING (tenant_id = ils_current_tenant() OR ils_system_scope())
    WITH CHECK (tenant_id = ils_current_tenant() OR ils_system_scope());
-- A recorded movement is never changed.
GRANT SELECT, INSERT ON plugin_stock_movements TO ils_app;
