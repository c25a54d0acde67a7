-- Reads for reporting plugins (ils:platform 0.2.0 `reports`): orders, quality failures, stock
-- movements and purchase orders are selected by a period of their time and paged after
-- (time, id), so each gets an index in that order. Examinations find the prescription issued
-- from them.

CREATE INDEX lab_orders_created ON lab_orders (tenant_id, created_at, id);
CREATE INDEX lab_order_timeline_quality ON lab_order_timeline (tenant_id, at, id)
    WHERE quality_issue IS NOT NULL;
CREATE INDEX stock_movements_created ON stock_movements (tenant_id, created_at, id);
CREATE INDEX purchase_orders_created ON purchase_orders (tenant_id, created_at, id);
CREATE INDEX prescriptions_examination ON prescriptions (tenant_id, examination_id)
    WHERE examination_id IS NOT NULL;

-- kv keys sort bytewise, as SQLite sorts them, whatever the database's collation: a plugin
-- pages its keys with a cursor (`list-keys` after a key), which must mean the same order on
-- both backends.
ALTER TABLE plugin_kv ALTER COLUMN key TYPE text COLLATE "C";
