//! Plugin rows: the catalogue (platform), and per tenant the enablement with its breaker, the
//! sealed secrets, the key-value data and its usage against the quotas (`crate::quota`), and the
//! clinical reads plugins make beside the clinical crate's own.

use crate::plans::PlanTerms;
use ils_kernel::error::Result;
use ils_storage::ids::{ExaminationId, PatientId, PrescriptionId, TenantId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{Conn, TenantTx, execute, on_conn, query};
use ils_tenancy::tenants::PlanSlug;

/// A catalogue row: one plugin version this installation offers.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CatalogueRow {
    /// The plugin.
    pub plugin_id: String,
    /// Its version (semantic).
    pub version: String,
    /// SHA-256 of the package; loading refuses a registry package with other content.
    pub digest: String,
    /// The manifest, as TOML text.
    pub manifest: String,
    /// The plan it was approved from (the review's record; `plan_plugins` decides who may
    /// enable it).
    pub min_plan: PlanSlug,
    /// When it was yanked: offered to no one new, kept by the tenants on it.
    pub yanked_at: Option<Timestamp>,
    /// Why it was yanked.
    pub yank_reason: Option<String>,
}

/// The versions on offer: approved ones (published versions wait for review, `ils-publishing`).
const CATALOGUE: &str = "SELECT plugin_id, version, digest, manifest, min_plan, yanked_at, yank_reason
    FROM plugin_catalogue WHERE status = 'approved'";

/// Adds a version, or changes its plan when it is the same package. Returns false when the
/// version is in the catalogue with other content.
pub(crate) async fn catalogue_put(conn: &mut Conn, row: &CatalogueRow) -> Result<bool> {
    const SQL: &str =
        "INSERT INTO plugin_catalogue (plugin_id, version, digest, manifest, min_plan, added_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (plugin_id, version) DO UPDATE SET min_plan = excluded.min_plan, status = 'approved'
        WHERE plugin_catalogue.digest = excluded.digest";
    let n = execute!(
        conn,
        SQL,
        &row.plugin_id,
        &row.version,
        &row.digest,
        &row.manifest,
        &row.min_plan,
        Timestamp::now()
    )?;
    Ok(n == 1)
}

pub(crate) async fn catalogue_all(conn: &mut Conn) -> Result<Vec<CatalogueRow>> {
    let sql = format!("{CATALOGUE} ORDER BY plugin_id, added_at");
    Ok(on_conn!(conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut **c).await)?)
}

pub(crate) async fn catalogue_of(conn: &mut Conn, plugin: &str) -> Result<Vec<CatalogueRow>> {
    let sql = format!("{CATALOGUE} AND plugin_id = $1 ORDER BY added_at");
    Ok(on_conn!(conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(plugin).fetch_all(&mut **c).await)?)
}

/// The (plugin, version) pairs some tenant has enabled: what a node keeps compiled.
pub(crate) async fn versions_in_use(conn: &mut Conn) -> Result<Vec<(String, String)>> {
    const SQL: &str = "SELECT DISTINCT plugin_id, version FROM tenant_plugins WHERE enabled";
    Ok(on_conn!(conn, c => sqlx::query_as(SQL).fetch_all(&mut **c).await)?)
}

/// The review state of a version in the registry (`pending`, `approved`, `rejected`), if it
/// was ever published or installed.
pub async fn version_status(conn: &mut Conn, plugin: &str, version: &str) -> Result<Option<String>> {
    const SQL: &str = "SELECT status FROM plugin_catalogue WHERE plugin_id = $1 AND version = $2";
    Ok(
        on_conn!(conn, c => sqlx::query_scalar(SQL).bind(plugin).bind(version).fetch_optional(&mut **c).await)?,
    )
}

/// A tenant's enablement row: the version it runs, what it consented to, its configuration and
/// its breaker. Kept when the plugin is disabled, for a re-enable.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EnablementRow {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The plugin.
    pub plugin_id: String,
    /// The version the tenant runs.
    pub version: String,
    /// The semver range the tenant follows (`^1.2`): a roll-out moves it to a newer version
    /// in the range that asks for nothing more; `None` keeps it on `version`.
    pub track: Option<String>,
    /// False once disabled.
    pub enabled: bool,
    /// Disabled because the tenant's plan stopped including the plugin (enabled again when it
    /// includes it again).
    pub disabled_by_plan: bool,
    /// The consented capabilities' names, space-separated.
    pub capabilities: String,
    /// The tenant's configuration, as JSON text.
    pub config: String,
    /// When it was (last) enabled.
    pub enabled_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Consecutive failed invocations.
    pub failures: i32,
    /// Until when the breaker refuses calls; `None` while it is closed.
    pub tripped_until: Option<Timestamp>,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When it happened.
    pub last_error_at: Option<Timestamp>,
    /// Why the version it runs was yanked, if it was (read where the tenant is shown its
    /// enablement; `None` elsewhere).
    #[sqlx(default)]
    pub yank_reason: Option<String>,
}

const ENABLEMENT: &str =
    "SELECT tenant_id, plugin_id, version, track, enabled, disabled_by_plan, capabilities, config, enabled_at,
    updated_at, failures, tripped_until, last_error, last_error_at,
    (SELECT c.yank_reason FROM plugin_catalogue c WHERE c.plugin_id = tenant_plugins.plugin_id
        AND c.version = tenant_plugins.version AND c.yanked_at IS NOT NULL) AS yank_reason
    FROM tenant_plugins";

/// The transaction's tenant's enablement of `plugin`, enabled or not.
pub async fn enablement(tx: &mut TenantTx, plugin: &str) -> Result<Option<EnablementRow>> {
    let sql = format!("{ENABLEMENT} WHERE tenant_id = $1 AND plugin_id = $2");
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_optional, sql, tenant, plugin)?)
}

/// Every enablement of the transaction's tenant, enabled or not, by plugin id.
pub async fn enablements(tx: &mut TenantTx) -> Result<Vec<EnablementRow>> {
    let sql = format!("{ENABLEMENT} WHERE tenant_id = $1 ORDER BY plugin_id");
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_all, sql, tenant)?)
}

/// A tenant's enabled plugin with what running it takes: its version's package digest and the
/// tenant's plan with its limits and quotas.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct TargetRow {
    #[sqlx(flatten)]
    pub enablement: EnablementRow,
    pub digest: String,
    #[sqlx(flatten)]
    pub plan: PlanTerms,
}

/// The enabled plugin `plugin` of the transaction's tenant, in one query (every plugin call
/// starts here).
pub(crate) async fn enabled_target(tx: &mut TenantTx, plugin: &str) -> Result<Option<TargetRow>> {
    const SQL: &str =
        "SELECT tp.tenant_id, tp.plugin_id, tp.version, tp.track, tp.enabled, tp.disabled_by_plan,
            tp.capabilities, tp.config, tp.enabled_at, tp.updated_at, tp.failures, tp.tripped_until,
            tp.last_error, tp.last_error_at, c.digest, t.plan, p.timeout_ms, p.memory_bytes, p.kv_bytes,
            p.kv_keys, p.events_per_minute, p.invocations_per_month
        FROM tenant_plugins tp
        JOIN plugin_catalogue c ON c.plugin_id = tp.plugin_id AND c.version = tp.version
        JOIN tenants t ON t.id = tp.tenant_id
        JOIN plans p ON p.slug = t.plan
        WHERE tp.tenant_id = $1 AND tp.plugin_id = $2 AND tp.enabled";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_optional, SQL, tenant, plugin)?)
}

/// Every enabled plugin of every tenant (platform scope: schedules).
pub async fn enabled_everywhere(conn: &mut Conn) -> Result<Vec<EnablementRow>> {
    let sql = format!("{ENABLEMENT} WHERE enabled ORDER BY tenant_id, plugin_id");
    Ok(on_conn!(conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut **c).await)?)
}

/// What enabling writes.
#[derive(Debug)]
pub struct Enable<'a> {
    /// The plugin.
    pub plugin: &'a str,
    /// The catalogue version to run.
    pub version: &'a str,
    /// The semver range to follow, already checked to contain `version`.
    pub track: Option<&'a str>,
    /// The consented capabilities' names, space-separated.
    pub capabilities: String,
    /// The configuration, as JSON text, already checked against the manifest's schema.
    pub config: String,
    /// The admin who enabled it.
    pub by: Option<UserId>,
}

/// Enables (or re-enables, or moves to another version) a plugin; the breaker starts closed.
pub async fn enable(tx: &mut TenantTx, e: &Enable<'_>) -> Result<()> {
    const SQL: &str = "INSERT INTO tenant_plugins (tenant_id, plugin_id, version, track, enabled, capabilities,
            config, enabled_by, enabled_at, updated_at, failures)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 0)
        ON CONFLICT (tenant_id, plugin_id) DO UPDATE SET version = excluded.version, track = excluded.track,
            enabled = excluded.enabled, capabilities = excluded.capabilities, config = excluded.config,
            enabled_by = excluded.enabled_by, enabled_at = excluded.enabled_at, updated_at = excluded.updated_at,
            failures = 0, tripped_until = NULL, disabled_by_plan = FALSE";
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        SQL,
        tenant,
        e.plugin,
        e.version,
        e.track,
        true,
        &e.capabilities,
        &e.config,
        e.by,
        Timestamp::now()
    )?;
    Ok(())
}

/// Moves `tenant`'s enabled `plugin` from version `from` to `to` (a roll-out, its rollback, or a
/// platform admin's move), keeping consent, configuration and data; the breaker starts closed.
/// False when the tenant is no longer on `from` (it moved itself meanwhile) or disabled it.
pub async fn move_version(
    conn: &mut Conn,
    tenant: TenantId,
    plugin: &str,
    from: &str,
    to: &str,
) -> Result<bool> {
    const SQL: &str =
        "UPDATE tenant_plugins SET version = $4, failures = 0, tripped_until = NULL, updated_at = $5
        WHERE tenant_id = $1 AND plugin_id = $2 AND version = $3 AND enabled";
    Ok(execute!(conn, SQL, tenant, plugin, from, to, Timestamp::now())? == 1)
}

/// Disables a plugin; returns false when it was not enabled. A plugin its plan disabled counts
/// as enabled here: a tenant admin's disable means it does not come back with the plan.
pub async fn disable(tx: &mut TenantTx, plugin: &str) -> Result<bool> {
    const SQL: &str = "UPDATE tenant_plugins SET enabled = $3, disabled_by_plan = FALSE, updated_at = $4
        WHERE tenant_id = $1 AND plugin_id = $2 AND (enabled OR disabled_by_plan)";
    let tenant = tx.tenant_id();
    Ok(execute!(tx.conn(), SQL, tenant, plugin, false, Timestamp::now())? == 1)
}

/// Replaces the configuration (JSON text, already checked against the manifest's schema).
pub async fn set_config(tx: &mut TenantTx, plugin: &str, config: &str) -> Result<()> {
    const SQL: &str =
        "UPDATE tenant_plugins SET config = $3, updated_at = $4 WHERE tenant_id = $1 AND plugin_id = $2";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, plugin, config, Timestamp::now())?;
    Ok(())
}

/// Counts a failed invocation; at `threshold` consecutive failures the breaker opens until
/// `open_until` (and a failed trial call opens it again). True when this failure opened it.
pub(crate) async fn record_failure(
    tx: &mut TenantTx,
    plugin: &str,
    error: &str,
    threshold: u32,
    open_until: Timestamp,
) -> Result<bool> {
    const SQL: &str =
        "UPDATE tenant_plugins SET failures = failures + 1, last_error = $3, last_error_at = $4,
            tripped_until = CASE WHEN failures + 1 >= $5 THEN $6 ELSE tripped_until END
        WHERE tenant_id = $1 AND plugin_id = $2
        RETURNING failures";
    let tenant = tx.tenant_id();
    let threshold = i32::try_from(threshold).unwrap_or(i32::MAX);
    let failures: Option<i32> = query!(
        tx,
        query_scalar,
        fetch_optional,
        SQL,
        tenant,
        plugin,
        error,
        Timestamp::now(),
        threshold,
        open_until
    )?;
    Ok(failures == Some(threshold))
}

/// A successful invocation closes the breaker.
pub(crate) async fn record_success(tx: &mut TenantTx, plugin: &str) -> Result<()> {
    const SQL: &str = "UPDATE tenant_plugins SET failures = 0, tripped_until = NULL
        WHERE tenant_id = $1 AND plugin_id = $2 AND (failures > 0 OR tripped_until IS NOT NULL)";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, plugin)?;
    Ok(())
}

/// A tenant admin's reset: the breaker closes and the count starts again.
pub async fn reset_breaker(tx: &mut TenantTx, plugin: &str) -> Result<bool> {
    const SQL: &str = "UPDATE tenant_plugins SET failures = 0, tripped_until = NULL, updated_at = $3
        WHERE tenant_id = $1 AND plugin_id = $2";
    let tenant = tx.tenant_id();
    Ok(execute!(tx.conn(), SQL, tenant, plugin, Timestamp::now())? == 1)
}

/// Stores a secret, sealed by the caller; replaces one of the same name.
pub async fn put_secret(tx: &mut TenantTx, plugin: &str, name: &str, sealed: &[u8]) -> Result<()> {
    const SQL: &str = "INSERT INTO plugin_secrets (tenant_id, plugin_id, name, sealed, updated_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (tenant_id, plugin_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, plugin, name, sealed, Timestamp::now())?;
    Ok(())
}

/// Deletes a secret; returns false when there was none of that name.
pub async fn delete_secret(tx: &mut TenantTx, plugin: &str, name: &str) -> Result<bool> {
    const SQL: &str = "DELETE FROM plugin_secrets WHERE tenant_id = $1 AND plugin_id = $2 AND name = $3";
    let tenant = tx.tenant_id();
    Ok(execute!(tx.conn(), SQL, tenant, plugin, name)? == 1)
}

/// The names of a plugin's secrets with when each was set; the values never leave the host.
pub async fn secret_names(tx: &mut TenantTx, plugin: &str) -> Result<Vec<(String, Timestamp)>> {
    const SQL: &str =
        "SELECT name, updated_at FROM plugin_secrets WHERE tenant_id = $1 AND plugin_id = $2 ORDER BY name";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_all, SQL, tenant, plugin)?)
}

pub(crate) async fn sealed_secret(tx: &mut TenantTx, plugin: &str, name: &str) -> Result<Option<Vec<u8>>> {
    const SQL: &str =
        "SELECT sealed FROM plugin_secrets WHERE tenant_id = $1 AND plugin_id = $2 AND name = $3";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_scalar, fetch_optional, SQL, tenant, plugin, name)?)
}

pub(crate) async fn kv_get(tx: &mut TenantTx, plugin: &str, key: &str) -> Result<Option<Vec<u8>>> {
    const SQL: &str = "SELECT value FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 AND key = $3";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_scalar, fetch_optional, SQL, tenant, plugin, key)?)
}

pub(crate) async fn kv_set(tx: &mut TenantTx, plugin: &str, key: &str, value: &[u8]) -> Result<()> {
    const SQL: &str = "INSERT INTO plugin_kv (tenant_id, plugin_id, key, value, updated_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (tenant_id, plugin_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, plugin, key, value, Timestamp::now())?;
    Ok(())
}

pub(crate) async fn kv_delete(tx: &mut TenantTx, plugin: &str, key: &str) -> Result<()> {
    const SQL: &str = "DELETE FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 AND key = $3";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, plugin, key)?;
    Ok(())
}

/// Keys starting with `prefix` after `start_after` (exclusive), sorted bytewise, at most `limit`.
/// The prefix is compared as text, not as a LIKE pattern, so `%` and `_` in it match only
/// themselves. Keys sort bytewise on both backends (PostgreSQL's column is `COLLATE "C"`), so a
/// cursor continues where the previous page stopped.
pub(crate) async fn kv_keys(
    tx: &mut TenantTx,
    plugin: &str,
    prefix: &str,
    start_after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>> {
    const SQL: &str = "SELECT key FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2
        AND substr(key, 1, length($3)) = $3 AND ($4 IS NULL OR key > $4) ORDER BY key LIMIT $5";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_scalar, fetch_all, SQL, tenant, plugin, prefix, start_after, limit)?)
}

/// The stored length of the value under `key`, if there is one.
pub(crate) async fn kv_value_len(tx: &mut TenantTx, plugin: &str, key: &str) -> Result<Option<i64>> {
    const SQL: &str = "SELECT CAST(length(value) AS BIGINT) FROM plugin_kv WHERE tenant_id = $1 AND plugin_id = $2 AND key = $3";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_scalar, fetch_optional, SQL, tenant, plugin, key)?)
}

/// A (tenant, plugin)'s usage row: what it stores in kv, the events of its latest minute, the
/// refusals, and any quota a platform operator set in place of the plan's.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub(crate) struct UsageRow {
    pub kv_bytes: i64,
    pub kv_keys: i64,
    /// The minute (since the Unix epoch) `events_in_minute` counts.
    pub events_minute: i64,
    pub events_in_minute: i64,
    pub refusals: i64,
    pub last_refusal: Option<String>,
    pub last_refusal_at: Option<Timestamp>,
    pub kv_bytes_quota: Option<i64>,
    pub kv_keys_quota: Option<i64>,
    pub events_per_minute_quota: Option<i64>,
    pub invocations_per_month_quota: Option<i64>,
}

const USAGE_COLUMNS: &str = "kv_bytes, kv_keys, events_minute, events_in_minute, refusals, last_refusal,
    last_refusal_at, kv_bytes_quota, kv_keys_quota, events_per_minute_quota, invocations_per_month_quota";

/// The usage row of `plugin`, created when missing and locked until the transaction ends (a
/// no-op upsert: PostgreSQL locks the row, SQLite's write transaction holds the database), so
/// concurrent writers of one (tenant, plugin) count one after another.
pub(crate) async fn usage_lock(tx: &mut TenantTx, plugin: &str) -> Result<UsageRow> {
    let sql = format!(
        "INSERT INTO plugin_usage (tenant_id, plugin_id) VALUES ($1, $2)
        ON CONFLICT (tenant_id, plugin_id) DO UPDATE SET kv_bytes = plugin_usage.kv_bytes
        RETURNING {USAGE_COLUMNS}"
    );
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_one, sql, tenant, plugin)?)
}

/// The usage row of `plugin`, if it ever wrote anything.
pub(crate) async fn usage(tx: &mut TenantTx, plugin: &str) -> Result<Option<UsageRow>> {
    let sql = format!("SELECT {USAGE_COLUMNS} FROM plugin_usage WHERE tenant_id = $1 AND plugin_id = $2");
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_optional, sql, tenant, plugin)?)
}

/// Sets what `plugin` stores in kv (under [`usage_lock`]).
pub(crate) async fn usage_kv(tx: &mut TenantTx, plugin: &str, bytes: i64, keys: i64) -> Result<()> {
    const SQL: &str =
        "UPDATE plugin_usage SET kv_bytes = $3, kv_keys = $4 WHERE tenant_id = $1 AND plugin_id = $2";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, plugin, bytes, keys)?;
    Ok(())
}

/// Sets how many events `plugin` published in `minute` (under [`usage_lock`]).
pub(crate) async fn usage_events(tx: &mut TenantTx, plugin: &str, minute: i64, events: i64) -> Result<()> {
    const SQL: &str = "UPDATE plugin_usage SET events_minute = $3, events_in_minute = $4
        WHERE tenant_id = $1 AND plugin_id = $2";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, plugin, minute, events)?;
    Ok(())
}

/// Counts a write refused for a quota, with why.
pub(crate) async fn usage_refused(tx: &mut TenantTx, plugin: &str, why: &str, at: Timestamp) -> Result<()> {
    const SQL: &str =
        "UPDATE plugin_usage SET refusals = refusals + 1, last_refusal = $3, last_refusal_at = $4
        WHERE tenant_id = $1 AND plugin_id = $2";
    let tenant = tx.tenant_id();
    execute!(tx.conn(), SQL, tenant, plugin, why, at)?;
    Ok(())
}

/// An examination as plugins read it, with what a claim needs beside it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct ExaminationRow {
    pub id: ExaminationId,
    pub patient_id: PatientId,
    /// `YYYY-MM-DD`.
    pub examined_on: String,
    pub finalised_at: Option<Timestamp>,
    pub examined_by: Option<UserId>,
    /// The performer's name, while they are a member of the tenant (as row-level security
    /// shows users on PostgreSQL; the query asks the same on SQLite).
    pub performer_name: Option<String>,
    /// The day of the patient's previous finalised examination, strictly before this one's.
    pub last_sight_test_on: Option<String>,
    /// The refraction as `ils_clinical` stores it (JSON), if measured.
    pub refraction: Option<String>,
    /// The first prescription issued from it.
    pub prescription_id: Option<PrescriptionId>,
}

/// One examination of the transaction's tenant.
pub(crate) async fn examination(tx: &mut TenantTx, id: ExaminationId) -> Result<Option<ExaminationRow>> {
    const SQL: &str = "SELECT e.id, e.patient_id, e.examined_on, e.finalised_at, e.examined_by, e.refraction,
            (SELECT u.name FROM users u JOIN memberships m ON m.user_id = u.id AND m.tenant_id = e.tenant_id
                WHERE u.id = e.examined_by) AS performer_name,
            (SELECT max(p.examined_on) FROM examinations p
                WHERE p.tenant_id = e.tenant_id AND p.patient_id = e.patient_id
                    AND p.finalised_at IS NOT NULL AND p.examined_on < e.examined_on) AS last_sight_test_on,
            (SELECT r.id FROM prescriptions r WHERE r.tenant_id = e.tenant_id AND r.examination_id = e.id
                ORDER BY r.id LIMIT 1) AS prescription_id
        FROM examinations e WHERE e.tenant_id = $1 AND e.id = $2";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_optional, SQL, tenant, id)?)
}
