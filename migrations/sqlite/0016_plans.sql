-- no-transaction
-- Plans as data (docs/adr/025-plans-as-data.md): a platform admin edits them; each sets a
-- plugin call's limits and a tenant's plugin quotas, and includes a set of plugins. The seeds
-- are the four plans and the exact figures the code held until now (`plan_limits`,
-- `plan_quotas`); a plugin is included in every plan ranked at or above the lowest plan any of
-- its approved versions was offered from.
--
-- tenants.plan and plugin_catalogue.min_plan now reference plans. SQLite cannot drop a CHECK,
-- so both tables are rebuilt (every column, constraint and index kept). Foreign keys must be off
-- while a referenced table is dropped and renamed, and that pragma is a no-op inside a
-- transaction: hence `-- no-transaction` above and this file's own BEGIN/COMMIT. Before the
-- commit, a CHECK on a scratch table aborts the migration if any foreign key is broken.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE plans (
    slug                   TEXT PRIMARY KEY CHECK (length(slug) BETWEEN 2 AND 63 AND slug NOT GLOB '*[^a-z0-9-]*' AND substr(slug, 1, 1) <> '-'),
    name                   TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    rank                   INTEGER NOT NULL UNIQUE CHECK (rank BETWEEN 0 AND 1000000),
    price_label            TEXT CHECK (length(price_label) BETWEEN 1 AND 100),
    timeout_ms             INTEGER NOT NULL CHECK (timeout_ms > 0),
    memory_bytes           INTEGER NOT NULL CHECK (memory_bytes > 0),
    kv_bytes               INTEGER NOT NULL CHECK (kv_bytes >= 0),
    kv_keys                INTEGER NOT NULL CHECK (kv_keys >= 0),
    events_per_minute      INTEGER NOT NULL CHECK (events_per_minute >= 0),
    invocations_per_month  INTEGER NOT NULL CHECK (invocations_per_month >= 0),
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
) STRICT;

INSERT INTO plans (slug, name, rank, price_label, timeout_ms, memory_bytes, kv_bytes, kv_keys,
        events_per_minute, invocations_per_month, created_at, updated_at)
    SELECT slug, name, rank, NULL, timeout_ms, memory_bytes, kv_bytes, kv_keys, events_per_minute,
        invocations_per_month, now, now
    FROM (SELECT strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z' AS now) AS clock,
    (SELECT 'free' AS slug, 'Free' AS name, 10 AS rank, 5000 AS timeout_ms, 33554432 AS memory_bytes,
            10485760 AS kv_bytes, 10000 AS kv_keys, 600 AS events_per_minute, 10000 AS invocations_per_month
     UNION ALL SELECT 'pro', 'Pro', 20, 10000, 67108864, 104857600, 100000, 3000, 100000
     UNION ALL SELECT 'premium', 'Premium', 30, 30000, 134217728, 1073741824, 1000000, 12000, 1000000
     UNION ALL SELECT 'enterprise', 'Enterprise', 40, 30000, 134217728, 4294967296, 4000000, 30000, 4000000
    ) AS seed;

CREATE TABLE plan_plugins (
    plan       TEXT NOT NULL REFERENCES plans (slug) ON DELETE CASCADE,
    plugin_id  TEXT NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (plan, plugin_id)
) STRICT;
CREATE INDEX plan_plugins_plugin ON plan_plugins (plugin_id);

INSERT INTO plan_plugins (plan, plugin_id, added_at)
    SELECT p.slug, lowest.plugin_id, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    FROM plans p
    JOIN (SELECT c.plugin_id, MIN(m.rank) AS rank
          FROM plugin_catalogue c JOIN plans m ON m.slug = c.min_plan
          WHERE c.status = 'approved' GROUP BY c.plugin_id) AS lowest ON p.rank >= lowest.rank;

-- tenants, as 0001 and 0008 made it, with `plan` referencing plans instead of a CHECK list.
CREATE TABLE tenants_new (
    id          BLOB PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 2 AND 63 AND slug NOT GLOB '*[^a-z0-9-]*' AND substr(slug, 1, 1) <> '-'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        TEXT NOT NULL CHECK (kind IN ('ecp', 'lab', 'supplier', 'hybrid')),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
    plan        TEXT NOT NULL REFERENCES plans (slug),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    rx_steps    TEXT NOT NULL DEFAULT 'quarter' CHECK (rx_steps IN ('quarter', 'eighth'))
) STRICT;
INSERT INTO tenants_new (id, slug, name, kind, status, plan, created_at, updated_at, rx_steps)
    SELECT id, slug, name, kind, status, plan, created_at, updated_at, rx_steps FROM tenants;
DROP TABLE tenants;
ALTER TABLE tenants_new RENAME TO tenants;
CREATE INDEX tenants_plan ON tenants (plan);

-- plugin_catalogue, as 0009 and 0013 made it, with `min_plan` referencing plans.
CREATE TABLE plugin_catalogue_new (
    plugin_id      TEXT NOT NULL CHECK (length(plugin_id) BETWEEN 2 AND 64),
    version        TEXT NOT NULL CHECK (length(version) BETWEEN 5 AND 64),
    digest         TEXT NOT NULL CHECK (length(digest) = 64),
    manifest       TEXT NOT NULL,
    min_plan       TEXT NOT NULL REFERENCES plans (slug),
    added_at       TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('pending', 'approved', 'rejected')),
    publisher_id   BLOB REFERENCES publishers (id),
    key_id         TEXT,
    signature      TEXT,
    size           INTEGER CHECK (size >= 0),
    imports        TEXT,
    review_reason  TEXT,
    reviewed_by    BLOB REFERENCES users (id),
    reviewed_at    TEXT,
    yanked_at      TEXT,
    yank_reason    TEXT,
    PRIMARY KEY (plugin_id, version)
) STRICT;
INSERT INTO plugin_catalogue_new (plugin_id, version, digest, manifest, min_plan, added_at, status,
        publisher_id, key_id, signature, size, imports, review_reason, reviewed_by, reviewed_at,
        yanked_at, yank_reason)
    SELECT plugin_id, version, digest, manifest, min_plan, added_at, status, publisher_id, key_id,
        signature, size, imports, review_reason, reviewed_by, reviewed_at, yanked_at, yank_reason
    FROM plugin_catalogue;
DROP TABLE plugin_catalogue;
ALTER TABLE plugin_catalogue_new RENAME TO plugin_catalogue;
CREATE INDEX plugin_catalogue_pending ON plugin_catalogue (added_at) WHERE status = 'pending';

-- A plugin the tenant's plan stopped including is disabled with this set, and enabled again
-- (same version, consent, configuration) when its plan includes it again.
ALTER TABLE tenant_plugins ADD COLUMN disabled_by_plan INTEGER NOT NULL DEFAULT 0
    CHECK (disabled_by_plan IN (0, 1));

CREATE TEMP TABLE plans_migration_check (broken INTEGER NOT NULL CHECK (broken = 0));
INSERT INTO plans_migration_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE plans_migration_check;

COMMIT;
PRAGMA foreign_keys = ON;
