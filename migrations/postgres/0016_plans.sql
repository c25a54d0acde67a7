-- Plans as data (docs/adr/025-plans-as-data.md): a platform admin edits them; each sets a
-- plugin call's limits and a tenant's plugin quotas, and includes a set of plugins. The seeds
-- are the four plans and the exact figures the code held until now (`plan_limits`,
-- `plan_quotas`); a plugin is included in every plan ranked at or above the lowest plan any of
-- its approved versions was offered from. tenants.plan and plugin_catalogue.min_plan now
-- reference plans instead of a CHECK list.

CREATE TABLE plans (
    slug                   text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    rank                   integer NOT NULL UNIQUE CHECK (rank BETWEEN 0 AND 1000000),
    price_label            text CHECK (length(price_label) BETWEEN 1 AND 100),
    timeout_ms             bigint NOT NULL CHECK (timeout_ms > 0),
    memory_bytes           bigint NOT NULL CHECK (memory_bytes > 0),
    kv_bytes               bigint NOT NULL CHECK (kv_bytes >= 0),
    kv_keys                bigint NOT NULL CHECK (kv_keys >= 0),
    events_per_minute      bigint NOT NULL CHECK (events_per_minute >= 0),
    invocations_per_month  bigint NOT NULL CHECK (invocations_per_month >= 0),
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);

INSERT INTO plans (slug, name, rank, price_label, timeout_ms, memory_bytes, kv_bytes, kv_keys,
        events_per_minute, invocations_per_month, created_at, updated_at)
VALUES
    ('free', 'Free', 10, NULL, 5000, 33554432, 10485760, 10000, 600, 10000, now(), now()),
    ('pro', 'Pro', 20, NULL, 10000, 67108864, 104857600, 100000, 3000, 100000, now(), now()),
    ('premium', 'Premium', 30, NULL, 30000, 134217728, 1073741824, 1000000, 12000, 1000000, now(), now()),
    ('enterprise', 'Enterprise', 40, NULL, 30000, 134217728, 4294967296, 4000000, 30000, 4000000, now(), now());

CREATE TABLE plan_plugins (
    plan       text NOT NULL REFERENCES plans (slug) ON DELETE CASCADE,
    plugin_id  text NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    added_at   timestamptz NOT NULL,
    PRIMARY KEY (plan, plugin_id)
);
CREATE INDEX plan_plugins_plugin ON plan_plugins (plugin_id);

INSERT INTO plan_plugins (plan, plugin_id, added_at)
    SELECT p.slug, lowest.plugin_id, now()
    FROM plans p
    JOIN (SELECT c.plugin_id, MIN(m.rank) AS rank
          FROM plugin_catalogue c JOIN plans m ON m.slug = c.min_plan
          WHERE c.status = 'approved' GROUP BY c.plugin_id) AS lowest ON p.rank >= lowest.rank;

ALTER TABLE tenants DROP CONSTRAINT tenants_plan_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_plan_fkey FOREIGN KEY (plan) REFERENCES plans (slug);
CREATE INDEX tenants_plan ON tenants (plan);
ALTER TABLE plugin_catalogue DROP CONSTRAINT plugin_catalogue_min_plan_check;
ALTER TABLE plugin_catalogue ADD CONSTRAINT plugin_catalogue_min_plan_fkey
    FOREIGN KEY (min_plan) REFERENCES plans (slug);

-- A plugin the tenant's plan stopped including is disabled with this set, and enabled again
-- (same version, consent, configuration) when its plan includes it again.
ALTER TABLE tenant_plugins ADD COLUMN disabled_by_plan boolean NOT NULL DEFAULT false;

-- Plans are the platform's: every transaction reads them (a plugin call reads its tenant's),
-- only system-scope transactions change them.
ALTER TABLE plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE plans FORCE ROW LEVEL SECURITY;
CREATE POLICY plans_read ON plans FOR SELECT USING (true);
CREATE POLICY plans_write ON plans FOR ALL USING (ils_system_scope()) WITH CHECK (ils_system_scope());
ALTER TABLE plan_plugins ENABLE ROW LEVEL SECURITY;
ALTER TABLE plan_plugins FORCE ROW LEVEL SECURITY;
CREATE POLICY plan_plugins_read ON plan_plugins FOR SELECT USING (true);
CREATE POLICY plan_plugins_write ON plan_plugins FOR ALL USING (ils_system_scope()) WITH CHECK (ils_system_scope());
GRANT SELECT, INSERT, UPDATE, DELETE ON plans, plan_plugins TO ils_app;
