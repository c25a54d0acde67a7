-- Reports (docs/adr/028-reports.md): every render of a plugin's report is a run, with its
-- progress and the file it produced; a schedule renders one periodically and e-mails the link
-- to the roles it names.

CREATE TABLE report_runs (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    id            BLOB NOT NULL,
    plugin_id     text NOT NULL,
    report_id     text NOT NULL,
    format        text NOT NULL CHECK (format IN ('csv', 'html', 'pdf')),
    params        text NOT NULL,
    status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    done          INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,
    note          text NOT NULL DEFAULT '',
    file_id       BLOB,
    error         text,
    requested_by  BLOB REFERENCES users (id),
    schedule_id   BLOB,
    created_at    TEXT NOT NULL,
    finished_at   TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX report_runs_recent ON report_runs (tenant_id, created_at);

CREATE TABLE report_schedules (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    id            BLOB NOT NULL,
    plugin_id     text NOT NULL,
    report_id     text NOT NULL,
    format        text NOT NULL CHECK (format IN ('csv', 'html', 'pdf')),
    params        text NOT NULL,
    every         text NOT NULL CHECK (every IN ('day', 'week', 'month')),
    roles         text NOT NULL,
    next_run_at   TEXT NOT NULL,
    last_run_id   BLOB,
    created_by    BLOB REFERENCES users (id),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX report_schedules_due ON report_schedules (next_run_at);
