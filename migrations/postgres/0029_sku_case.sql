-- SKUs are unique within a tenant without regard to case (issue 15; docs/adr/040): `FR-RB5154`
-- and `fr-rb5154` are one product to the people who type them. The index on lower(sku) replaces
-- the case-sensitive UNIQUE (tenant_id, sku), and lookups by SKU compare lower(sku) too.
--
-- A tenant that already has two SKUs differing only in case stops the upgrade here, naming them:
-- which one to rename is the tenant's decision, not the migration's (the ADR shows how).
SELECT set_config('ils.scope', 'system', true);
DO $$
DECLARE clashes text;
BEGIN
    SELECT string_agg(format('tenant %s: %s', tenant_id, skus), '; ') INTO clashes
    FROM (
        SELECT tenant_id, string_agg(format('%s (item %s)', sku, id), ', ' ORDER BY sku, id) AS skus
        FROM items GROUP BY tenant_id, lower(sku) HAVING count(*) > 1
    ) AS c;
    IF clashes IS NOT NULL THEN
        RAISE EXCEPTION 'SKUs that differ only in case: %', clashes
            USING HINT = 'Give each a SKU of its own (UPDATE items SET sku = … WHERE id = …), then '
                'start ILS again; see docs/adr/040-sku-case-and-installations.md.';
    END IF;
END $$;

ALTER TABLE items DROP CONSTRAINT items_tenant_id_sku_key;
CREATE UNIQUE INDEX items_sku_folded ON items (tenant_id, lower(sku));
