-- Business documents and purchase orders e-mailed to suppliers (docs/adr/038-purchase-orders-to-suppliers.md).
--
-- The letterhead: what a tenant's documents print under its name. Company admins set it with the
-- other tenant settings.
ALTER TABLE tenants ADD COLUMN address text NOT NULL DEFAULT '' CHECK (length(address) <= 400);
ALTER TABLE tenants ADD COLUMN phone text CHECK (length(phone) <= 30);
ALTER TABLE tenants ADD COLUMN contact_email text CHECK (length(contact_email) <= 254);

-- Each time a purchase order goes to its supplier: to which address, the PDF that went (in the
-- tenant's file store once rendered), and what became of it. A send, or a send again, adds one;
-- the `send_purchase_order` job queued in the same transaction works it.
CREATE TABLE purchase_order_deliveries (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL,
    purchase_order_id  uuid NOT NULL,
    to_address         text,
    status             text NOT NULL CHECK (status IN ('queued', 'delivered', 'failed', 'not_emailed')),
    error              text,
    file_id            uuid,
    attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    requested_by       uuid REFERENCES users (id),
    created_at         timestamptz NOT NULL,
    delivered_at       timestamptz,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    CHECK (status = 'not_emailed' OR to_address IS NOT NULL),
    CHECK (status <> 'delivered' OR delivered_at IS NOT NULL)
);
CREATE INDEX purchase_order_deliveries_order ON purchase_order_deliveries (tenant_id, purchase_order_id, id);

ALTER TABLE purchase_order_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE purchase_order_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON purchase_order_deliveries
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());
GRANT SELECT, INSERT, UPDATE ON purchase_order_deliveries TO ils_app;
