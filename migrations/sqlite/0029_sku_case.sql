-- SKUs unique without regard to case (docs/adr/040); see migrations/postgres.
--
-- SQLite cannot drop the table's UNIQUE (tenant_id, sku) without rebuilding `items` and every
-- table that refers to it; the index on lower(sku) implies it, so it stays and never decides
-- anything (the schema parity test lists it as an exception).
--
-- Two SKUs of one tenant that differ only in case stop the upgrade: inserting their count into
-- this table breaks its CHECK, whose name is the message (SQLite's RAISE takes no computed text;
-- the ADR's query lists them).
CREATE TEMP TABLE sku_case_check (
    clashes INTEGER CONSTRAINT "two SKUs of one tenant differ only in case: give each its own (docs/adr/040-sku-case-and-installations.md lists them)" CHECK (clashes = 0)
);
INSERT INTO sku_case_check
    SELECT count(*) FROM (SELECT 1 FROM items GROUP BY tenant_id, lower(sku) HAVING count(*) > 1);
DROP TABLE sku_case_check;

CREATE UNIQUE INDEX items_sku_folded ON items (tenant_id, lower(sku));
