-- Suppliers on ILS (docs/adr/042-supplier-inbox.md): a directory supplier linked by platform
-- admins to the supplier's own tenant receives purchase orders in that tenant's inbox instead of
-- by e-mail.
--
-- The link: at most one directory entry per supplier tenant.
ALTER TABLE suppliers ADD COLUMN tenant_id uuid REFERENCES tenants (id);
CREATE UNIQUE INDEX suppliers_tenant ON suppliers (tenant_id) WHERE tenant_id IS NOT NULL;

-- A delivery goes either to an e-mail address or to a supplier tenant's inbox; the supplier may
-- acknowledge it there, and the buyer sees when.
ALTER TABLE purchase_order_deliveries ADD COLUMN to_tenant_id uuid REFERENCES tenants (id);
ALTER TABLE purchase_order_deliveries ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE purchase_order_deliveries DROP CONSTRAINT purchase_order_deliveries_check;
ALTER TABLE purchase_order_deliveries ADD CONSTRAINT purchase_order_deliveries_addressed
    CHECK (status = 'not_emailed' OR (to_address IS NULL) <> (to_tenant_id IS NULL));

-- The supplier tenant's inbox: one row per delivery that reached it, with what the order said
-- when it was sent (the buyer's letterhead, lines and totals), so the supplier reads its own copy
-- and the buyer's later edits or erasures do not change what was received.
CREATE TABLE received_purchase_orders (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    buyer_tenant_id    uuid NOT NULL REFERENCES tenants (id),
    buyer_name         text NOT NULL,
    buyer_address      text NOT NULL,
    buyer_phone        text,
    buyer_email        text,
    delivery_id        uuid NOT NULL,
    purchase_order_id  uuid NOT NULL,
    number             text NOT NULL,
    account_number     text,
    deliver_to         text NOT NULL,
    currency           text NOT NULL,
    total_minor        bigint NOT NULL,
    notes              text NOT NULL,
    lines              jsonb NOT NULL,
    file_id            uuid,
    sent_again         boolean NOT NULL,
    status             text NOT NULL CHECK (status IN ('new', 'acknowledged')),
    received_at        timestamptz NOT NULL,
    acknowledged_at    timestamptz,
    acknowledged_by    uuid REFERENCES users (id),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, delivery_id),
    FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id),
    CHECK (status = 'new' OR acknowledged_at IS NOT NULL)
);
CREATE INDEX received_purchase_orders_status ON received_purchase_orders (tenant_id, status, id);

ALTER TABLE received_purchase_orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE received_purchase_orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON received_purchase_orders
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON received_purchase_orders TO ils_app;
