//! Report runs and schedules: one row per render and per schedule, in the tenant's transaction.

use ils_kernel::error::Result;
use ils_storage::ids::{TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{Conn, TenantTx, execute, on_conn, query};
use uuid::Uuid;

/// A render of a report, as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RunRow {
    /// The run.
    pub id: Uuid,
    /// The plugin that renders it.
    pub plugin_id: String,
    /// The report's id within the plugin.
    pub report_id: String,
    /// `csv`, `html` or `pdf`.
    pub format: String,
    /// The parameters, as JSON text.
    pub params: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Steps done, as the plugin last reported.
    pub done: i64,
    /// Steps in all.
    pub total: i64,
    /// What the plugin said it was doing.
    pub note: String,
    /// The file it produced.
    pub file_id: Option<Uuid>,
    /// Why it failed.
    pub error: Option<String>,
    /// Who asked for it (none: a schedule).
    pub requested_by: Option<UserId>,
    /// The schedule that started it.
    pub schedule_id: Option<Uuid>,
    /// When it started.
    pub created_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
}

const RUN: &str =
    "SELECT id, plugin_id, report_id, format, params, status, done, total, note, file_id, error,
    requested_by, schedule_id, created_at, finished_at FROM report_runs";

/// A new run, `running`.
pub(crate) struct NewRun<'a> {
    pub id: Uuid,
    pub plugin: &'a str,
    pub report: &'a str,
    pub format: &'a str,
    pub params: &'a str,
    pub requested_by: Option<UserId>,
    pub schedule: Option<Uuid>,
}

pub(crate) async fn insert_run(tx: &mut TenantTx, run: &NewRun<'_>) -> Result<()> {
    const SQL: &str = "INSERT INTO report_runs (tenant_id, id, plugin_id, report_id, format, params, status,
        requested_by, schedule_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9)";
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        SQL,
        tenant,
        run.id,
        run.plugin,
        run.report,
        run.format,
        run.params,
        run.requested_by,
        run.schedule,
        Timestamp::now()
    )?;
    Ok(())
}

pub(crate) async fn progress(tx: &mut TenantTx, id: Uuid, done: i64, total: i64, note: &str) -> Result<()> {
    const SQL: &str = "UPDATE report_runs SET done = $3, total = $4, note = $5
        WHERE tenant_id = $1 AND id = $2 AND status = 'running'";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, id, done, total, note)?;
    Ok(())
}

pub(crate) async fn finish(tx: &mut TenantTx, id: Uuid, file: Result<Uuid, &str>) -> Result<()> {
    const SQL: &str = "UPDATE report_runs SET status = $3, file_id = $4, error = $5, finished_at = $6
        WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    let (status, file_id, error) = match file {
        Ok(file) => ("done", Some(file), None),
        Err(e) => ("failed", None, Some(e.to_string())),
    };
    execute!(tx.conn(), SQL, tenant, id, status, file_id, error, Timestamp::now())?;
    Ok(())
}

pub(crate) async fn run(tx: &mut TenantTx, id: Uuid) -> Result<Option<RunRow>> {
    let sql = format!("{RUN} WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_optional, sql, tenant, id)?)
}

pub(crate) async fn recent_runs(tx: &mut TenantTx, limit: i64) -> Result<Vec<RunRow>> {
    let sql = format!("{RUN} WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_all, sql, tenant, limit)?)
}

/// Runs left `running` by a process that stopped (platform scope, at start-up): they never end.
pub(crate) async fn abandon_running(conn: &mut Conn, started_before: Timestamp) -> Result<u64> {
    const SQL: &str =
        "UPDATE report_runs SET status = 'failed', error = 'the server stopped while rendering it',
        finished_at = $1 WHERE status = 'running' AND created_at < $2";
    Ok(execute!(conn, SQL, Timestamp::now(), started_before)?)
}

/// A schedule, as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ScheduleRow {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The schedule.
    pub id: Uuid,
    /// The plugin.
    pub plugin_id: String,
    /// The report.
    pub report_id: String,
    /// `csv`, `html` or `pdf`.
    pub format: String,
    /// Fixed parameters, as JSON text (the period is the last whole one before each run).
    pub params: String,
    /// `day`, `week` or `month`.
    pub every: String,
    /// Roles e-mailed the link, space separated.
    pub roles: String,
    /// When it runs next.
    pub next_run_at: Timestamp,
    /// Its latest run.
    pub last_run_id: Option<Uuid>,
    /// Who made it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

const SCHEDULE: &str =
    "SELECT tenant_id, id, plugin_id, report_id, format, params, every, roles, next_run_at,
    last_run_id, created_by, created_at FROM report_schedules";

pub(crate) async fn insert_schedule(tx: &mut TenantTx, s: &ScheduleRow) -> Result<()> {
    const SQL: &str =
        "INSERT INTO report_schedules (tenant_id, id, plugin_id, report_id, format, params, every,
        roles, next_run_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        SQL,
        tenant,
        s.id,
        &s.plugin_id,
        &s.report_id,
        &s.format,
        &s.params,
        &s.every,
        &s.roles,
        s.next_run_at,
        s.created_by,
        s.created_at
    )?;
    Ok(())
}

pub(crate) async fn schedules(tx: &mut TenantTx) -> Result<Vec<ScheduleRow>> {
    let sql = format!("{SCHEDULE} WHERE tenant_id = $1 ORDER BY created_at, id");
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_all, sql, tenant)?)
}

pub(crate) async fn delete_schedule(tx: &mut TenantTx, id: Uuid) -> Result<bool> {
    const SQL: &str = "DELETE FROM report_schedules WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    Ok(execute!(tx.conn(), SQL, tenant, id)? == 1)
}

/// Schedules due at `now`, every tenant's (platform scope).
pub(crate) async fn due(conn: &mut Conn, now: Timestamp) -> Result<Vec<ScheduleRow>> {
    let sql = format!("{SCHEDULE} WHERE next_run_at <= $1 ORDER BY next_run_at LIMIT 100");
    Ok(on_conn!(conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(&mut **c).await)?)
}

/// Moves a schedule on from `from` to `next`, recording the run: `false` when another node
/// already claimed this turn.
pub(crate) async fn claim(
    tx: &mut TenantTx,
    id: Uuid,
    from: Timestamp,
    next: Timestamp,
    run: Uuid,
) -> Result<bool> {
    const SQL: &str = "UPDATE report_schedules SET next_run_at = $4, last_run_id = $5
        WHERE tenant_id = $1 AND id = $2 AND next_run_at = $3";
    let tenant = tx.tenant_id();
    Ok(execute!(tx.conn(), SQL, tenant, id, from, next, run)? == 1)
}
