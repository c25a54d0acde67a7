-- Versions for tenants (docs/adr/024-plugin-rollouts.md): a tenant may follow a semver range
-- (`track`); a platform admin rolls an approved version out in stages (named tenants, then a
-- percentage by stable hash, then all), and a stage whose failures or breaker trips exceed the
-- previous version's is rolled back. Each node adds what it saw of every version's calls to
-- `plugin_version_health`, which the judgement reads.

ALTER TABLE tenant_plugins ADD COLUMN track TEXT CHECK (length(track) BETWEEN 1 AND 100);

CREATE TABLE plugin_version_health (
    plugin_id      TEXT NOT NULL,
    version        TEXT NOT NULL,
    invocations    INTEGER NOT NULL DEFAULT 0 CHECK (invocations >= 0),
    failures       INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    breaker_trips  INTEGER NOT NULL DEFAULT 0 CHECK (breaker_trips >= 0),
    PRIMARY KEY (plugin_id, version)
) STRICT;

CREATE TABLE plugin_rollouts (
    plugin_id       TEXT NOT NULL,
    version         TEXT NOT NULL,
    previous        TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'completed', 'rolled_back')),
    percent         INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    named           TEXT NOT NULL,
    margin_bp       INTEGER NOT NULL CHECK (margin_bp BETWEEN 0 AND 10000),
    min_calls       INTEGER NOT NULL CHECK (min_calls >= 1),
    -- The two versions' health when the rollout started: the judgement counts from there.
    base_invocations       INTEGER NOT NULL,
    base_failures          INTEGER NOT NULL,
    base_trips             INTEGER NOT NULL,
    previous_invocations   INTEGER NOT NULL,
    previous_failures      INTEGER NOT NULL,
    previous_trips         INTEGER NOT NULL,
    started_by      BLOB REFERENCES users (id),
    started_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    ended_at        TEXT,
    reason          TEXT,
    PRIMARY KEY (plugin_id, version),
    FOREIGN KEY (plugin_id, version) REFERENCES plugin_catalogue (plugin_id, version)
) STRICT;
-- One rollout of a plugin at a time.
CREATE UNIQUE INDEX plugin_rollouts_one_active ON plugin_rollouts (plugin_id) WHERE status = 'active';

-- The tenants a rollout moved, and where from: a rollback moves them back.
CREATE TABLE plugin_rollout_moves (
    plugin_id     TEXT NOT NULL,
    version       TEXT NOT NULL,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    from_version  TEXT NOT NULL,
    moved_at      TEXT NOT NULL,
    returned_at   TEXT,
    PRIMARY KEY (plugin_id, version, tenant_id),
    FOREIGN KEY (plugin_id, version) REFERENCES plugin_rollouts (plugin_id, version)
) STRICT;
