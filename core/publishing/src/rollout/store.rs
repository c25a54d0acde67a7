//! Roll-out rows (`plugin_rollouts`, `plugin_rollout_moves`) and the tenant rows a roll-out
//! reads. Platform data: every statement runs in a system-scope transaction.

use ils_kernel::error::Result;
use ils_storage::ids::{TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{SystemTx, execute, query};
use ils_tenancy::tenants::PlanSlug;

/// A roll-out as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct RolloutRow {
    pub plugin_id: String,
    pub version: String,
    pub previous: Option<String>,
    pub status: String,
    pub percent: i32,
    /// The named tenants, a JSON array of ids.
    pub named: String,
    pub margin_bp: i32,
    pub min_calls: i64,
    pub base_invocations: i64,
    pub base_failures: i64,
    pub base_trips: i64,
    pub previous_invocations: i64,
    pub previous_failures: i64,
    pub previous_trips: i64,
    pub started_by: Option<UserId>,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub reason: Option<String>,
}

const ROLLOUT: &str = "SELECT plugin_id, version, previous, status, percent, named, margin_bp, min_calls,
    base_invocations, base_failures, base_trips, previous_invocations, previous_failures, previous_trips,
    started_by, started_at, updated_at, ended_at, reason FROM plugin_rollouts";

pub(crate) async fn rollout(tx: &mut SystemTx, plugin: &str, version: &str) -> Result<Option<RolloutRow>> {
    let sql = format!("{ROLLOUT} WHERE plugin_id = $1 AND version = $2");
    Ok(query!(tx, query_as, fetch_optional, sql, plugin, version)?)
}

pub(crate) async fn active(tx: &mut SystemTx) -> Result<Vec<RolloutRow>> {
    let sql = format!("{ROLLOUT} WHERE status = 'active' ORDER BY started_at");
    Ok(query!(tx, query_as, fetch_all, sql)?)
}

pub(crate) async fn active_of(tx: &mut SystemTx, plugin: &str) -> Result<Option<RolloutRow>> {
    let sql = format!("{ROLLOUT} WHERE plugin_id = $1 AND status = 'active'");
    Ok(query!(tx, query_as, fetch_optional, sql, plugin)?)
}

/// Starts (or starts again, after a rollback) the roll-out of `r.plugin_id` `r.version`.
pub(crate) async fn insert(tx: &mut SystemTx, r: &RolloutRow) -> Result<()> {
    const SQL: &str = "INSERT INTO plugin_rollouts (plugin_id, version, previous, status, percent, named,
            margin_bp, min_calls, base_invocations, base_failures, base_trips, previous_invocations,
            previous_failures, previous_trips, started_by, started_at, updated_at, ended_at, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, NULL, NULL)
        ON CONFLICT (plugin_id, version) DO UPDATE SET previous = excluded.previous, status = excluded.status,
            percent = excluded.percent, named = excluded.named, margin_bp = excluded.margin_bp,
            min_calls = excluded.min_calls, base_invocations = excluded.base_invocations,
            base_failures = excluded.base_failures, base_trips = excluded.base_trips,
            previous_invocations = excluded.previous_invocations, previous_failures = excluded.previous_failures,
            previous_trips = excluded.previous_trips, started_by = excluded.started_by,
            started_at = excluded.started_at, updated_at = excluded.updated_at, ended_at = NULL, reason = NULL";
    execute!(
        tx.conn(),
        SQL,
        &r.plugin_id,
        &r.version,
        &r.previous,
        &r.status,
        r.percent,
        &r.named,
        r.margin_bp,
        r.min_calls,
        r.base_invocations,
        r.base_failures,
        r.base_trips,
        r.previous_invocations,
        r.previous_failures,
        r.previous_trips,
        r.started_by,
        r.started_at
    )?;
    Ok(())
}

/// Sets the stage of an active roll-out; `completed` at 100%.
pub(crate) async fn set_percent(
    tx: &mut SystemTx,
    plugin: &str,
    version: &str,
    percent: i32,
) -> Result<bool> {
    const SQL: &str = "UPDATE plugin_rollouts SET percent = $3, updated_at = $4,
            status = CASE WHEN $3 = 100 THEN 'completed' ELSE status END,
            ended_at = CASE WHEN $3 = 100 THEN $4 ELSE ended_at END
        WHERE plugin_id = $1 AND version = $2 AND status = 'active'";
    Ok(execute!(tx.conn(), SQL, plugin, version, percent, Timestamp::now())? == 1)
}

/// Ends a roll-out as rolled back, with why.
pub(crate) async fn rolled_back(
    tx: &mut SystemTx,
    plugin: &str,
    version: &str,
    reason: &str,
) -> Result<bool> {
    const SQL: &str =
        "UPDATE plugin_rollouts SET status = 'rolled_back', reason = $3, ended_at = $4, updated_at = $4
        WHERE plugin_id = $1 AND version = $2 AND status IN ('active', 'completed')";
    Ok(execute!(tx.conn(), SQL, plugin, version, reason, Timestamp::now())? == 1)
}

/// A tenant a roll-out moved.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct MoveRow {
    pub tenant_id: TenantId,
    pub from_version: String,
    pub moved_at: Timestamp,
    pub returned_at: Option<Timestamp>,
}

pub(crate) async fn moves(tx: &mut SystemTx, plugin: &str, version: &str) -> Result<Vec<MoveRow>> {
    const SQL: &str = "SELECT tenant_id, from_version, moved_at, returned_at FROM plugin_rollout_moves
        WHERE plugin_id = $1 AND version = $2 ORDER BY moved_at, tenant_id";
    Ok(query!(tx, query_as, fetch_all, SQL, plugin, version)?)
}

pub(crate) async fn record_move(
    tx: &mut SystemTx,
    plugin: &str,
    version: &str,
    tenant: TenantId,
    from: &str,
) -> Result<()> {
    const SQL: &str =
        "INSERT INTO plugin_rollout_moves (plugin_id, version, tenant_id, from_version, moved_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (plugin_id, version, tenant_id) DO UPDATE SET from_version = excluded.from_version,
            moved_at = excluded.moved_at, returned_at = NULL";
    execute!(tx.conn(), SQL, plugin, version, tenant, from, Timestamp::now())?;
    Ok(())
}

pub(crate) async fn record_return(
    tx: &mut SystemTx,
    plugin: &str,
    version: &str,
    tenant: TenantId,
) -> Result<()> {
    const SQL: &str = "UPDATE plugin_rollout_moves SET returned_at = $4
        WHERE plugin_id = $1 AND version = $2 AND tenant_id = $3";
    execute!(tx.conn(), SQL, plugin, version, tenant, Timestamp::now())?;
    Ok(())
}

/// How many tenants run `plugin` `version` (enabled).
pub(crate) async fn tenants_on(tx: &mut SystemTx, plugin: &str, version: &str) -> Result<i64> {
    const SQL: &str = "SELECT count(*) FROM tenant_plugins WHERE plugin_id = $1 AND version = $2 AND enabled";
    Ok(query!(tx, query_scalar, fetch_one, SQL, plugin, version)?)
}

/// A tenant's plan.
pub(crate) async fn plan_of(tx: &mut SystemTx, tenant: TenantId) -> Result<Option<PlanSlug>> {
    const SQL: &str = "SELECT plan FROM tenants WHERE id = $1";
    Ok(query!(tx, query_scalar, fetch_optional, SQL, tenant)?)
}

/// Which of `ids` are tenants.
pub(crate) async fn existing_tenants(tx: &mut SystemTx, ids: &[TenantId]) -> Result<Vec<TenantId>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        const SQL: &str = "SELECT count(*) FROM tenants WHERE id = $1";
        let n: i64 = query!(tx, query_scalar, fetch_one, SQL, *id)?;
        if n == 1 {
            out.push(*id);
        }
    }
    Ok(out)
}

pub(crate) async fn rollouts_of(tx: &mut SystemTx, plugin: &str) -> Result<Vec<RolloutRow>> {
    let sql = format!("{ROLLOUT} WHERE plugin_id = $1 ORDER BY started_at DESC");
    Ok(query!(tx, query_as, fetch_all, sql, plugin)?)
}

/// A tenant that enabled the plugin, with its handle.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct TenantOnRow {
    pub tenant_id: TenantId,
    pub slug: String,
    pub name: String,
    pub version: String,
    pub track: Option<String>,
}

/// The tenants that run `plugin` (enabled), by handle.
pub(crate) async fn tenants_of(tx: &mut SystemTx, plugin: &str) -> Result<Vec<TenantOnRow>> {
    const SQL: &str = "SELECT tp.tenant_id, t.slug, t.name, tp.version, tp.track
        FROM tenant_plugins tp JOIN tenants t ON t.id = tp.tenant_id
        WHERE tp.plugin_id = $1 AND tp.enabled ORDER BY t.slug";
    Ok(query!(tx, query_as, fetch_all, SQL, plugin)?)
}

/// Every plugin id in the catalogue.
pub(crate) async fn plugin_ids(tx: &mut SystemTx) -> Result<Vec<String>> {
    const SQL: &str = "SELECT DISTINCT plugin_id FROM plugin_catalogue ORDER BY plugin_id";
    Ok(query!(tx, query_scalar, fetch_all, SQL)?)
}
