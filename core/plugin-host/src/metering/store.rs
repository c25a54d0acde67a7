//! Metering rows: `plugin_metering` (per tenant, plugin, day and export) and
//! `plugin_metering_storage` (per tenant, plugin and day: what kv held at the day's last flush).
//! Days are `YYYY-MM-DD` text on both backends, so text order is date order.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::Date;

use super::{Figures, Health, Key, Month};
use ils_kernel::error::Result;
use ils_storage::ids::TenantId;
use ils_storage::{Conn, Db, TenantTx, execute, on_conn, query};

/// One export's figures of one day, as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct MeteringRow {
    pub tenant_id: TenantId,
    pub day: String,
    pub export: String,
    pub invocations: i64,
    pub failures: i64,
    pub wall_us: i64,
    pub cpu_us: i64,
    pub peak_memory_bytes: i64,
    pub outbound_requests: i64,
    pub outbound_bytes: i64,
    pub events_published: i64,
}

impl MeteringRow {
    pub(crate) fn figures(&self) -> Figures {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Figures {
            invocations: n(self.invocations),
            failures: n(self.failures),
            wall_time_us: n(self.wall_us),
            cpu_time_us: n(self.cpu_us),
            peak_memory_bytes: n(self.peak_memory_bytes),
            outbound_requests: n(self.outbound_requests),
            outbound_bytes: n(self.outbound_bytes),
            events_published: n(self.events_published),
        }
    }
}

/// What a plugin kept in kv on one day.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct StorageRow {
    pub tenant_id: TenantId,
    pub day: String,
    pub kv_bytes: i64,
    pub kv_keys: i64,
}

const ROW_COLUMNS: &str = "tenant_id, day, export, invocations, failures, wall_us, cpu_us, peak_memory_bytes,
    outbound_requests, outbound_bytes, events_published";

/// Invocations of the transaction's tenant's `plugin` in `month`, every node's flushed ones.
pub async fn month_invocations(tx: &mut TenantTx, plugin: &str, month: Month) -> Result<i64> {
    const SQL: &str = "SELECT CAST(coalesce(sum(invocations), 0) AS BIGINT) FROM plugin_metering
        WHERE tenant_id = $1 AND plugin_id = $2 AND day >= $3 AND day < $4";
    let tenant = tx.tenant_id();
    let (from, until) = (month.first_day().to_string(), month.next().to_string());
    Ok(query!(tx, query_scalar, fetch_one, SQL, tenant, plugin, from, until)?)
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Adds `batch` to the stored figures (peak memory: the larger), stores each plugin's kv
/// usage as the day's snapshot, and adds `health` to each version's, in one transaction across
/// tenants.
pub(crate) async fn add(
    db: &Db,
    batch: &HashMap<Key, Figures>,
    health: &HashMap<(String, String), Health>,
) -> Result<()> {
    const HEALTH: &str =
        "INSERT INTO plugin_version_health (plugin_id, version, invocations, failures, breaker_trips)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (plugin_id, version) DO UPDATE SET
            invocations = plugin_version_health.invocations + excluded.invocations,
            failures = plugin_version_health.failures + excluded.failures,
            breaker_trips = plugin_version_health.breaker_trips + excluded.breaker_trips";
    const ADD: &str = "INSERT INTO plugin_metering (tenant_id, plugin_id, day, export, invocations, failures,
            wall_us, cpu_us, peak_memory_bytes, outbound_requests, outbound_bytes, events_published)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (tenant_id, plugin_id, day, export) DO UPDATE SET
            invocations = plugin_metering.invocations + excluded.invocations,
            failures = plugin_metering.failures + excluded.failures,
            wall_us = plugin_metering.wall_us + excluded.wall_us,
            cpu_us = plugin_metering.cpu_us + excluded.cpu_us,
            peak_memory_bytes = CASE WHEN excluded.peak_memory_bytes > plugin_metering.peak_memory_bytes
                THEN excluded.peak_memory_bytes ELSE plugin_metering.peak_memory_bytes END,
            outbound_requests = plugin_metering.outbound_requests + excluded.outbound_requests,
            outbound_bytes = plugin_metering.outbound_bytes + excluded.outbound_bytes,
            events_published = plugin_metering.events_published + excluded.events_published";
    // Aggregates without GROUP BY give one row: zero when the plugin never wrote kv.
    const SNAPSHOT: &str =
        "INSERT INTO plugin_metering_storage (tenant_id, plugin_id, day, kv_bytes, kv_keys)
        SELECT $1, $2, $3, coalesce(max(kv_bytes), 0), coalesce(max(kv_keys), 0) FROM plugin_usage
        WHERE tenant_id = $1 AND plugin_id = $2
        ON CONFLICT (tenant_id, plugin_id, day) DO UPDATE SET
            kv_bytes = excluded.kv_bytes, kv_keys = excluded.kv_keys";
    let mut tx = db.system().await?;
    // A stable order, so concurrent flushes of several nodes lock rows in the same order.
    let mut keys: Vec<&Key> = batch.keys().collect();
    keys.sort();
    let mut days = BTreeSet::new();
    for key in keys {
        let (tenant, plugin, day, export) = key;
        let f = &batch[key];
        let day_text = day.to_string();
        execute!(
            tx.conn(),
            ADD,
            tenant,
            plugin,
            &day_text,
            *export,
            i64_of(f.invocations),
            i64_of(f.failures),
            i64_of(f.wall_time_us),
            i64_of(f.cpu_time_us),
            i64_of(f.peak_memory_bytes),
            i64_of(f.outbound_requests),
            i64_of(f.outbound_bytes),
            i64_of(f.events_published)
        )?;
        days.insert((*tenant, plugin.as_str(), day_text));
    }
    for (tenant, plugin, day) in days {
        execute!(tx.conn(), SNAPSHOT, tenant, plugin, day)?;
    }
    let mut versions: Vec<_> = health.iter().collect();
    versions.sort_by(|a, b| a.0.cmp(b.0));
    for ((plugin, version), h) in versions {
        let (n, failed, trips) = (i64_of(h.invocations), i64_of(h.failures), i64_of(h.breaker_trips));
        execute!(tx.conn(), HEALTH, plugin, version, n, failed, trips)?;
    }
    tx.commit().await?;
    Ok(())
}

/// The transaction's tenant's figures of `plugin` from `from` to `to` (both included), by day
/// and export.
pub(crate) async fn tenant_rows(
    tx: &mut TenantTx,
    plugin: &str,
    from: Date,
    to: Date,
) -> Result<Vec<MeteringRow>> {
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM plugin_metering
        WHERE tenant_id = $1 AND plugin_id = $2 AND day >= $3 AND day <= $4 ORDER BY day, export"
    );
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_all, sql, tenant, plugin, from.to_string(), to.to_string())?)
}

/// The transaction's tenant's kv snapshots of `plugin` from `from` to `to`.
pub(crate) async fn tenant_storage(
    tx: &mut TenantTx,
    plugin: &str,
    from: Date,
    to: Date,
) -> Result<Vec<StorageRow>> {
    const SQL: &str = "SELECT tenant_id, day, kv_bytes, kv_keys FROM plugin_metering_storage
        WHERE tenant_id = $1 AND plugin_id = $2 AND day >= $3 AND day <= $4 ORDER BY day";
    let tenant = tx.tenant_id();
    Ok(query!(tx, query_as, fetch_all, SQL, tenant, plugin, from.to_string(), to.to_string())?)
}

/// Every tenant's figures of `plugin` from `from` to `to` (a system transaction).
pub(crate) async fn platform_rows(
    conn: &mut Conn,
    plugin: &str,
    from: Date,
    to: Date,
) -> Result<Vec<MeteringRow>> {
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM plugin_metering
        WHERE plugin_id = $1 AND day >= $2 AND day <= $3 ORDER BY tenant_id, day, export"
    );
    let (from, to) = (from.to_string(), to.to_string());
    Ok(
        on_conn!(conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(plugin).bind(from).bind(to).fetch_all(&mut **c).await)?,
    )
}

/// Every tenant's kv snapshots of `plugin` from `from` to `to` (a system transaction).
pub(crate) async fn platform_storage(
    conn: &mut Conn,
    plugin: &str,
    from: Date,
    to: Date,
) -> Result<Vec<StorageRow>> {
    const SQL: &str = "SELECT tenant_id, day, kv_bytes, kv_keys FROM plugin_metering_storage
        WHERE plugin_id = $1 AND day >= $2 AND day <= $3 ORDER BY tenant_id, day";
    let (from, to) = (from.to_string(), to.to_string());
    Ok(on_conn!(conn, c => sqlx::query_as(SQL).bind(plugin).bind(from).bind(to).fetch_all(&mut **c).await)?)
}

/// `plugin` `version`'s health as every node flushed it (zero when it never ran).
pub async fn version_health(conn: &mut Conn, plugin: &str, version: &str) -> Result<Health> {
    const SQL: &str = "SELECT invocations, failures, breaker_trips FROM plugin_version_health
        WHERE plugin_id = $1 AND version = $2";
    let row: Option<(i64, i64, i64)> =
        on_conn!(conn, c => sqlx::query_as(SQL).bind(plugin).bind(version).fetch_optional(&mut **c).await)?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(row.map_or_else(Health::default, |(i, f, t)| Health {
        invocations: n(i),
        failures: n(f),
        breaker_trips: n(t),
    }))
}
