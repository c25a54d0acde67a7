-- Reports (docs/adr/028-reports.md): every render of a plugin's report is a run, with its
-- progress and the file it produced; a schedule renders one periodically and e-mails the link
-- to the roles it names.

CREATE TABLE report_runs (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    plugin_id     text NOT NULL,
    report_id     text NOT NULL,
    format        text NOT NULL CHECK (format IN ('csv', 'html', 'pdf')),
    params        text NOT NULL,
    status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    done          bigint NOT NULL DEFAULT 0,
    total         bigint NOT NULL DEFAULT 0,
    note          text NOT NULL DEFAULT '',
    file_id       uuid,
    error         text,
    requested_by  uuid REFERENCES users (id),
    schedule_id   uuid,
    created_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX report_runs_recent ON report_runs (tenant_id, created_at);

CREATE TABLE report_schedules (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    plugin_id     text NOT NULL,
    report_id     text NOT NULL,
    format        text NOT NULL CHECK (format IN ('csv', 'html', 'pdf')),
    params        text NOT NULL,
    every         text NOT NULL CHECK (every IN ('day', 'week', 'month')),
    roles         text NOT NULL,
    next_run_at   timestamptz NOT NULL,
    last_run_id   uuid,
    created_by    uuid REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX report_schedules_due ON report_schedules (next_run_at);

ALTER TABLE report_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON report_runs
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());
ALTER TABLE report_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON report_schedules
    USING (tenant_id = ils_current_tenant() OR ils_system_scope());

-- Runs are added and updated (progress, outcome), never deleted; schedules come and go.
GRANT SELECT, INSERT, UPDATE ON report_runs TO ils_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON report_schedules TO ils_app;
