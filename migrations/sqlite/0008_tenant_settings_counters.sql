-- Per-tenant settings that change how clinical values are checked. `rx_steps`: the power steps
-- the tenant records prescriptions in — quarter dioptres, or eighths as well (some labs).
ALTER TABLE tenants ADD COLUMN rx_steps TEXT NOT NULL DEFAULT 'quarter' CHECK (rx_steps IN ('quarter', 'eighth'));

-- Per-tenant number sequences (customer numbers, job numbers, purchase order numbers): one row
-- a sequence, bumped with an upsert, so numbering costs the same at the millionth row as at the
-- first. Seeded from the rows numbered so far.
CREATE TABLE tenant_counters (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    value      INTEGER NOT NULL CHECK (value >= 0),
    PRIMARY KEY (tenant_id, name)
) STRICT;
INSERT INTO tenant_counters (tenant_id, name, value)
    SELECT tenant_id, 'patients', count(*) FROM patients GROUP BY tenant_id;
INSERT INTO tenant_counters (tenant_id, name, value)
    SELECT tenant_id, 'lab_orders', count(*) FROM lab_orders GROUP BY tenant_id;
INSERT INTO tenant_counters (tenant_id, name, value)
    SELECT tenant_id, 'purchase_orders', count(*) FROM purchase_orders GROUP BY tenant_id;
