//! The `plans` and `plan_plugins` rows, and the enablements a plan change touches.

use ils_kernel::error::{Error, Result};
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_storage::{Conn, SystemTx, TenantTx, execute, on_conn, query};
use ils_tenancy::tenants::PlanSlug;

use super::{NewPlan, Plan, PlanPatch, PlanTerms};

const COLUMNS: &str = "slug, name, rank, price_label, timeout_ms, memory_bytes, kv_bytes, kv_keys,
    events_per_minute, invocations_per_month, created_at, updated_at";

/// A plan with how many tenants are on it (platform scope: every tenant is counted).
fn select() -> String {
    format!(
        "SELECT {COLUMNS}, (SELECT count(*) FROM tenants t WHERE t.plan = plans.slug) AS tenants FROM plans"
    )
}

/// Every plan, lowest rank first.
pub(crate) async fn list(tx: &mut SystemTx) -> Result<Vec<Plan>> {
    let sql = format!("{} ORDER BY rank", select());
    let mut plans: Vec<Plan> = query!(tx, query_as, fetch_all, sql)?;
    for plan in &mut plans {
        plan.plugins = plugins_of(tx.conn(), &plan.slug).await?;
    }
    Ok(plans)
}

/// One plan with its plugins.
pub(crate) async fn get(tx: &mut SystemTx, slug: &PlanSlug) -> Result<Option<Plan>> {
    let sql = format!("{} WHERE slug = $1", select());
    let plan: Option<Plan> = query!(tx, query_as, fetch_optional, sql, slug)?;
    let Some(mut plan) = plan else { return Ok(None) };
    plan.plugins = plugins_of(tx.conn(), &plan.slug).await?;
    Ok(Some(plan))
}

/// The plugins a plan includes, by id.
pub(crate) async fn plugins_of(conn: &mut Conn, plan: &PlanSlug) -> Result<Vec<String>> {
    const SQL: &str = "SELECT plugin_id FROM plan_plugins WHERE plan = $1 ORDER BY plugin_id";
    Ok(on_conn!(conn, c => sqlx::query_scalar(SQL).bind(plan).fetch_all(&mut **c).await)?)
}

/// Whether `plan` includes `plugin`.
pub(crate) async fn includes(conn: &mut Conn, plan: &PlanSlug, plugin: &str) -> Result<bool> {
    const SQL: &str = "SELECT count(*) FROM plan_plugins WHERE plan = $1 AND plugin_id = $2";
    let n: i64 =
        on_conn!(conn, c => sqlx::query_scalar(SQL).bind(plan).bind(plugin).fetch_one(&mut **c).await)?;
    Ok(n > 0)
}

fn constraint_error(e: sqlx::Error) -> Error {
    Error::from(e)
        .on_duplicate_of("rank", "rank_taken", "Another plan has that rank; ranks are unique.")
        .on_duplicate("plan_exists", "A plan with that slug exists.")
}

pub(crate) async fn insert(tx: &mut SystemTx, new: &NewPlan) -> Result<()> {
    let sql =
        format!("INSERT INTO plans ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)");
    let now = Timestamp::now();
    on_conn!(tx.conn(), c => sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&new.slug)
        .bind(&new.name)
        .bind(new.rank)
        .bind(&new.price_label)
        .bind(new.figures.timeout_ms)
        .bind(new.figures.memory_bytes)
        .bind(new.figures.kv_bytes)
        .bind(new.figures.kv_keys)
        .bind(new.figures.events_per_minute)
        .bind(new.figures.invocations_per_month)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(constraint_error)?;
    Ok(())
}

/// Applies `patch` to `before` (already read); returns false when the plan went meanwhile.
pub(crate) async fn update(tx: &mut SystemTx, before: &Plan, patch: &PlanPatch) -> Result<bool> {
    const SQL: &str = "UPDATE plans SET name = $2, rank = $3, price_label = $4, timeout_ms = $5,
        memory_bytes = $6, kv_bytes = $7, kv_keys = $8, events_per_minute = $9,
        invocations_per_month = $10, updated_at = $11 WHERE slug = $1";
    let n = on_conn!(tx.conn(), c => sqlx::query(SQL)
        .bind(&before.slug)
        .bind(patch.name.as_ref().unwrap_or(&before.name))
        .bind(patch.rank.unwrap_or(before.rank))
        .bind(patch.price_label.as_ref().unwrap_or(&before.price_label))
        .bind(patch.timeout_ms.unwrap_or(before.figures.timeout_ms))
        .bind(patch.memory_bytes.unwrap_or(before.figures.memory_bytes))
        .bind(patch.kv_bytes.unwrap_or(before.figures.kv_bytes))
        .bind(patch.kv_keys.unwrap_or(before.figures.kv_keys))
        .bind(patch.events_per_minute.unwrap_or(before.figures.events_per_minute))
        .bind(patch.invocations_per_month.unwrap_or(before.figures.invocations_per_month))
        .bind(Timestamp::now())
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(constraint_error)?;
    Ok(n == 1)
}

/// How many catalogue versions record `plan` as the plan they were approved from.
pub(crate) async fn versions_from(tx: &mut SystemTx, plan: &PlanSlug) -> Result<i64> {
    const SQL: &str = "SELECT count(*) FROM plugin_catalogue WHERE min_plan = $1";
    Ok(query!(tx, query_scalar, fetch_one, SQL, plan)?)
}

pub(crate) async fn delete(tx: &mut SystemTx, plan: &PlanSlug) -> Result<bool> {
    Ok(execute!(tx.conn(), "DELETE FROM plans WHERE slug = $1", plan)? == 1)
}

/// Includes `plugin` in `plan`; false when it already was.
pub(crate) async fn include(tx: &mut SystemTx, plan: &PlanSlug, plugin: &str) -> Result<bool> {
    const SQL: &str = "INSERT INTO plan_plugins (plan, plugin_id, added_at) VALUES ($1, $2, $3)
        ON CONFLICT (plan, plugin_id) DO NOTHING";
    Ok(execute!(tx.conn(), SQL, plan, plugin, Timestamp::now())? == 1)
}

/// Excludes `plugin` from `plan`; false when it was not included.
pub(crate) async fn exclude(tx: &mut SystemTx, plan: &PlanSlug, plugin: &str) -> Result<bool> {
    const SQL: &str = "DELETE FROM plan_plugins WHERE plan = $1 AND plugin_id = $2";
    Ok(execute!(tx.conn(), SQL, plan, plugin)? == 1)
}

pub(crate) async fn lowest(tx: &mut SystemTx) -> Result<Option<PlanSlug>> {
    Ok(query!(tx, query_scalar, fetch_optional, "SELECT slug FROM plans ORDER BY rank LIMIT 1")?)
}

/// The plans ranked at or above `plan`'s.
pub(crate) async fn from_rank_of(tx: &mut SystemTx, plan: &PlanSlug) -> Result<Vec<PlanSlug>> {
    const SQL: &str =
        "SELECT slug FROM plans WHERE rank >= (SELECT rank FROM plans WHERE slug = $1) ORDER BY rank";
    Ok(query!(tx, query_scalar, fetch_all, SQL, plan)?)
}

/// Whether the catalogue holds an approved version of `plugin`.
pub(crate) async fn in_catalogue(tx: &mut SystemTx, plugin: &str) -> Result<bool> {
    const SQL: &str = "SELECT count(*) FROM plugin_catalogue WHERE plugin_id = $1 AND status = 'approved'";
    let n: i64 = query!(tx, query_scalar, fetch_one, SQL, plugin)?;
    Ok(n > 0)
}

/// The transaction's tenant's plan with its terms, in one query.
pub(crate) async fn terms_of_tenant(tx: &mut TenantTx) -> Result<PlanTerms> {
    const SQL: &str = "SELECT t.plan, p.timeout_ms, p.memory_bytes, p.kv_bytes, p.kv_keys,
            p.events_per_minute, p.invocations_per_month
        FROM tenants t JOIN plans p ON p.slug = t.plan WHERE t.id = $1";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_one, SQL, tenant)?)
}

/// An enablement a plan change switched off or on.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Switched {
    pub tenant_id: TenantId,
    pub plugin_id: String,
    pub version: String,
}

/// What a plan change does to an enablement.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Switch {
    /// Disables, for the tenants on the plan, the enabled plugins it does not include,
    /// remembering the plan did it.
    DisableExcluded,
    /// Enables again, for the tenants on the plan, the plugins a plan disabled that it includes:
    /// same version, consent and configuration.
    ReenableIncluded,
}

/// Applies `switch` for the tenants on `plan` (or only `tenant`), to every plugin (or only
/// `plugin`); returns what it switched, by tenant and plugin.
pub(crate) async fn switch(
    tx: &mut SystemTx,
    switch: Switch,
    plan: &PlanSlug,
    tenant: Option<TenantId>,
    plugin: Option<&str>,
) -> Result<Vec<Switched>> {
    const DISABLE: &str =
        "UPDATE tenant_plugins SET enabled = FALSE, disabled_by_plan = TRUE, updated_at = $4
        WHERE enabled
            AND tenant_id IN (SELECT id FROM tenants WHERE plan = $1 AND ($2 IS NULL OR id = $2))
            AND ($3 IS NULL OR plugin_id = $3)
            AND plugin_id NOT IN (SELECT plugin_id FROM plan_plugins WHERE plan = $1)
        RETURNING tenant_id, plugin_id, version";
    const REENABLE: &str =
        "UPDATE tenant_plugins SET enabled = TRUE, disabled_by_plan = FALSE, updated_at = $4
        WHERE disabled_by_plan
            AND tenant_id IN (SELECT id FROM tenants WHERE plan = $1 AND ($2 IS NULL OR id = $2))
            AND ($3 IS NULL OR plugin_id = $3)
            AND plugin_id IN (SELECT plugin_id FROM plan_plugins WHERE plan = $1)
        RETURNING tenant_id, plugin_id, version";
    let sql = match switch {
        Switch::DisableExcluded => DISABLE,
        Switch::ReenableIncluded => REENABLE,
    };
    let mut rows: Vec<Switched> =
        query!(tx, query_as, fetch_all, sql, plan, tenant, plugin, Timestamp::now())?;
    rows.sort_by(|a, b| (a.tenant_id, &a.plugin_id).cmp(&(b.tenant_id, &b.plugin_id)));
    Ok(rows)
}
