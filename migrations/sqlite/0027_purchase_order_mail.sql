-- Business documents and purchase orders e-mailed to suppliers; see migrations/postgres.
ALTER TABLE tenants ADD COLUMN address TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 400);
ALTER TABLE tenants ADD COLUMN phone TEXT CHECK (length(phone) <= 30);
ALTER TABLE tenants ADD COLUMN contact_email TEXT CHECK (length(contact_email) <= 254);

CREATE TABLE purchase_order_deliveries (
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
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    CHECK (status = 'not_emailed' OR to_address IS NOT NULL),
    CHECK (status <> 'delivered' OR delivered_at IS NOT NULL)
) STRICT;
CREATE INDEX purchase_order_deliveries_order ON purchase_order_deliveries (tenant_id, purchase_order_id, id);
