-- Per-tenant settings that change how clinical values are checked. `rx_steps`: the power steps
-- the tenant records prescriptions in — quarter dioptres, or eighths as well (some labs).
ALTER TABLE tenants ADD COLUMN rx_steps text NOT NULL DEFAULT 'quarter' CHECK (rx_steps IN ('quarter', 'eighth'));
