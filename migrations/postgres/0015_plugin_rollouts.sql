-- Versions for tenants (docs/adr/024-plugin-rollouts.md): a tenant may follow a semver range
-- (`track`); a platform admin rolls an approved version out in stages (named tenants, then a
-- percentage by stable hash, then all), and a stage whose failures or breaker trips exceed the
-- previous version's is rolled back. Each node adds what it saw of every version's calls to
-- `plugin_version_health`, which the judgement reads.

ALTER TABLE tenant_plugins ADD COLUMN track text CHECK (length(track) BETWEEN 1 AND 100);

CREATE TABLE plugin_version_health (
    plugin_id      text NOT NULL,
    version        text NOT NULL,
    invocations    bigint NOT NULL DEFAULT 0 CHECK (invocations >= 0),
    failures       bigint NOT NULL DEFAULT 0 CHECK (failures >= 0),
    breaker_trips  bigint NOT NULL DEFAULT 0 CHECK (breaker_trips >= 0),
    PRIMARY KEY (plugin_id, version)
);

CREATE TABLE plugin_rollouts (
    plugin_id       text NOT NULL,
    version         text NOT NULL,
    previous        text,
    status          text NOT NULL CHECK (status IN ('active', 'completed', 'rolled_back')),
    percent         integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
    named           text NOT NULL,
    margin_bp       integer NOT NULL CHECK (margin_bp BETWEEN 0 AND 10000),
    min_calls       bigint NOT NULL CHECK (min_calls >= 1),
    -- The two versions' health when the rollout started: the judgement counts from there.
    base_invocations       bigint NOT NULL,
    base_failures          bigint NOT NULL,
    base_trips             bigint NOT NULL,
    previous_invocations   bigint NOT NULL,
    previous_failures      bigint NOT NULL,
    previous_trips         bigint NOT NULL,
    started_by      uuid REFERENCES users (id),
    started_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    reason          text,
    PRIMARY KEY (plugin_id, version),
    FOREIGN KEY (plugin_id, version) REFERENCES plugin_catalogue (plugin_id, version)
);
-- One rollout of a plugin at a time.
CREATE UNIQUE INDEX plugin_rollouts_one_active ON plugin_rollouts (plugin_id) WHERE status = 'active';

-- The tenants a rollout moved, and where from: a rollback moves them back.
CREATE TABLE plugin_rollout_moves (
    plugin_id     text NOT NULL,
    version       text NOT NULL,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    from_version  text NOT NULL,
    moved_at      timestamptz NOT NULL,
    returned_at   timestamptz,
    PRIMARY KEY (plugin_id, version, tenant_id),
    FOREIGN KEY (plugin_id, version) REFERENCES plugin_rollouts (plugin_id, version)
);

-- Roll-outs and health are the platform's: only system-scope transactions read or write them.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['plugin_version_health', 'plugin_rollouts', 'plugin_rollout_moves'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY system_only ON %I USING (ils_system_scope()) WITH CHECK (ils_system_scope())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO ils_app', t);
    END LOOP;
END $$;
