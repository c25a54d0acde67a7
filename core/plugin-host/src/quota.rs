//! Quotas per (tenant, plugin), set by the tenant's plan (a row a platform admin edits,
//! [`crate::plans`]): how much a plugin keeps in kv (bytes of
//! keys plus values, and keys) and how many events it publishes a minute. Usage is counted in the
//! database, in the transaction of each write (`store::usage_lock` takes the row first), so the
//! check holds with concurrent calls and on every node, and a refused write stores nothing.
//! A refusal is an `invalid("quota: …")` error the plugin can handle — never `unavailable`, which
//! plugins take for a passing outage and retry. See docs/adr/017-plugin-quotas.md.

use serde::Serialize;

use crate::plans::{PlanSlug, PlanTerms};
use crate::store::{self, UsageRow};
use ils_kernel::error::Result;
use ils_storage::TenantTx;
use ils_storage::types::Timestamp;

/// What one tenant's plugin may keep and do, beside the per-call [`Limits`](ils_host_api::Limits)
/// (which cap a single kv value and a single event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Bytes stored in kv: every key's and value's length, summed.
    pub kv_bytes: i64,
    /// Keys stored in kv.
    pub kv_keys: i64,
    /// Events published in one calendar minute (UTC).
    pub events_per_minute: i64,
    /// Invocations (of any export) in one calendar month (UTC); counted by
    /// [`metering`](crate::metering), checked before each call.
    pub invocations_per_month: i64,
}

impl Quotas {
    /// The quotas of one (tenant, plugin) on `plan`, before any operator override.
    pub fn of_plan(plan: &PlanTerms) -> Self {
        let figures = &plan.figures;
        Self {
            kv_bytes: figures.kv_bytes,
            kv_keys: figures.kv_keys,
            events_per_minute: figures.events_per_minute,
            invocations_per_month: figures.invocations_per_month,
        }
    }

    /// The plan's quotas with any a platform operator set for this (tenant, plugin) instead.
    pub(crate) fn of(plan: &PlanTerms, row: &UsageRow) -> Self {
        let plan = Self::of_plan(plan);
        Self {
            kv_bytes: row.kv_bytes_quota.unwrap_or(plan.kv_bytes),
            kv_keys: row.kv_keys_quota.unwrap_or(plan.kv_keys),
            events_per_minute: row.events_per_minute_quota.unwrap_or(plan.events_per_minute),
            invocations_per_month: row.invocations_per_month_quota.unwrap_or(plan.invocations_per_month),
        }
    }
}

/// The invocations a month of a (tenant, plugin) whose plan allows `plan`, or `operator`'s
/// figure instead (`plugin_usage.invocations_per_month_quota`).
pub(crate) fn invocations_quota(plan: i64, operator: Option<i64>) -> i64 {
    operator.unwrap_or(plan)
}

/// A write refused because it would pass a quota; its text is what the plugin and the tenant's
/// admins read, and starts with `quota:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The kv store would hold more bytes than its quota.
    KvBytes {
        /// Bytes stored now.
        used: i64,
        /// The quota.
        quota: i64,
        /// What the write would add.
        needs: i64,
    },
    /// The kv store would hold more keys than its quota.
    KvKeys {
        /// The quota.
        quota: i64,
    },
    /// The plugin published its quota of events this minute.
    Events {
        /// The quota.
        quota: i64,
    },
}

impl Refusal {
    /// Which quota refused: `kv_bytes`, `kv_keys` or `events_per_minute` (a metric label).
    pub fn quota(&self) -> &'static str {
        match self {
            Self::KvBytes { .. } => "kv_bytes",
            Self::KvKeys { .. } => "kv_keys",
            Self::Events { .. } => "events_per_minute",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::KvBytes { used, quota, needs } => write!(
                f,
                "quota: kv storage is full ({used} of {quota} bytes used; this write needs {needs} more)"
            ),
            Self::KvKeys { quota } => {
                write!(f, "quota: kv holds {quota} keys, the most allowed; delete some before adding more")
            }
            Self::Events { quota } => {
                write!(f, "quota: {quota} events a minute published already; publish again next minute")
            }
        }
    }
}

/// The calendar minute (UTC) `at` falls in, as minutes since the Unix epoch.
fn minute(at: Timestamp) -> i64 {
    at.unix_seconds().div_euclid(60)
}

/// The (tenant, plugin)'s usage row, locked until the transaction ends, and its quotas.
async fn locked(tx: &mut TenantTx, plugin: &str) -> Result<(UsageRow, Quotas)> {
    let plan = crate::plans::terms_of_tenant(tx).await?;
    let usage = store::usage_lock(tx, plugin).await?;
    let quotas = Quotas::of(&plan, &usage);
    Ok((usage, quotas))
}

/// Events `usage` counts in the current minute (none when its count is of an earlier one).
fn events_this_minute(usage: &UsageRow, now: i64) -> i64 {
    if usage.events_minute == now { usage.events_in_minute } else { 0 }
}

/// Records `refusal` on the (tenant, plugin)'s usage; the caller commits (nothing else was
/// written) and hands the refusal to the plugin.
async fn refuse(tx: &mut TenantTx, plugin: &str, refusal: Refusal) -> Result<Result<(), Refusal>> {
    store::usage_refused(tx, plugin, &refusal.to_string(), Timestamp::now()).await?;
    Ok(Err(refusal))
}

/// Stores `value` under `key` unless kv would pass its quota (bytes or keys). An overwrite that
/// shrinks what is stored is always allowed, so a plugin over quota (after a plan change) can
/// still tidy up.
pub(crate) async fn kv_set(
    tx: &mut TenantTx,
    plugin: &str,
    key: &str,
    value: &[u8],
) -> Result<Result<(), Refusal>> {
    let (usage, quotas) = locked(tx, plugin).await?;
    let key_bytes = len(key.len());
    let old = store::kv_value_len(tx, plugin, key).await?.map(|v| v + key_bytes);
    let new = key_bytes + len(value.len());
    let bytes = usage.kv_bytes - old.unwrap_or(0) + new;
    let keys = usage.kv_keys + i64::from(old.is_none());
    if old.is_none() && keys > quotas.kv_keys {
        return refuse(tx, plugin, Refusal::KvKeys { quota: quotas.kv_keys }).await;
    }
    if bytes > quotas.kv_bytes && bytes > usage.kv_bytes {
        let needs = bytes - usage.kv_bytes;
        return refuse(tx, plugin, Refusal::KvBytes { used: usage.kv_bytes, quota: quotas.kv_bytes, needs })
            .await;
    }
    store::kv_set(tx, plugin, key, value).await?;
    store::usage_kv(tx, plugin, bytes, keys).await?;
    Ok(Ok(()))
}

/// Deletes `key` (a missing key is fine) and gives its bytes back.
pub(crate) async fn kv_delete(tx: &mut TenantTx, plugin: &str, key: &str) -> Result<()> {
    let usage = store::usage_lock(tx, plugin).await?;
    if let Some(value) = store::kv_value_len(tx, plugin, key).await? {
        store::kv_delete(tx, plugin, key).await?;
        let bytes = (usage.kv_bytes - len(key.len()) - value).max(0);
        store::usage_kv(tx, plugin, bytes, (usage.kv_keys - 1).max(0)).await?;
    }
    Ok(())
}

/// Counts one published event in this minute, or refuses it past the quota; the caller writes
/// the event in the same transaction.
pub(crate) async fn count_event(tx: &mut TenantTx, plugin: &str) -> Result<Result<(), Refusal>> {
    let (usage, quotas) = locked(tx, plugin).await?;
    let now = minute(Timestamp::now());
    let published = events_this_minute(&usage, now);
    if published >= quotas.events_per_minute {
        return refuse(tx, plugin, Refusal::Events { quota: quotas.events_per_minute }).await;
    }
    store::usage_events(tx, plugin, now, published + 1).await?;
    Ok(Ok(()))
}

fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One measure against its quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measure {
    /// How much is used.
    pub used: u64,
    /// How much may be.
    pub quota: u64,
}

impl Measure {
    fn new(used: i64, quota: i64) -> Self {
        Self { used: u64::try_from(used).unwrap_or(0), quota: u64::try_from(quota).unwrap_or(0) }
    }

    /// The share of the quota used, in whole per cent (100 when the quota is zero).
    pub fn percent(&self) -> u64 {
        self.used.saturating_mul(100).checked_div(self.quota).map_or(100, |p| p.min(100))
    }
}

/// A tenant's plugin's usage against its quotas, as its admins see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// The plugin.
    pub plugin_id: String,
    /// The tenant's plan, which sets the quotas.
    pub plan: PlanSlug,
    /// Bytes stored in kv (keys and values).
    pub kv_bytes: Measure,
    /// Keys stored in kv.
    pub kv_keys: Measure,
    /// Events published in the current minute (UTC).
    pub events_this_minute: Measure,
    /// Invocations in the current calendar month (UTC), every node's; past the quota calls
    /// are refused (`quota_exceeded`) until `month_resets_at`.
    pub invocations_this_month: Measure,
    /// When the month's count starts again from zero: the first day of next month, 00:00 UTC.
    pub month_resets_at: Timestamp,
    /// Writes refused for a quota since the plugin was first enabled.
    pub refusals: u64,
    /// The last refusal, in words.
    pub last_refusal: Option<String>,
    /// When it happened.
    pub last_refusal_at: Option<Timestamp>,
}

/// The usage of the transaction's tenant's `plugin` (all zero before its first write), as the
/// database holds it: flush this node's metering first ([`Metering::flush`](crate::metering::Metering::flush))
/// for its latest calls to count.
pub async fn usage(tx: &mut TenantTx, plugin: &str) -> Result<Usage> {
    let plan = crate::plans::terms_of_tenant(tx).await?;
    let row = store::usage(tx, plugin).await?.unwrap_or_default();
    let quotas = Quotas::of(&plan, &row);
    let now = Timestamp::now();
    let published = events_this_minute(&row, minute(now));
    let month = crate::calendar::Month::of(now);
    let invoked = crate::metering::store::month_invocations(tx, plugin, month).await?;
    Ok(Usage {
        plugin_id: plugin.to_owned(),
        plan: plan.plan,
        kv_bytes: Measure::new(row.kv_bytes, quotas.kv_bytes),
        kv_keys: Measure::new(row.kv_keys, quotas.kv_keys),
        events_this_minute: Measure::new(published, quotas.events_per_minute),
        invocations_this_month: Measure::new(invoked, quotas.invocations_per_month),
        month_resets_at: month.resets_at(),
        refusals: u64::try_from(row.refusals).unwrap_or(0),
        last_refusal: row.last_refusal,
        last_refusal_at: row.last_refusal_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_figure_replaces_the_plans() {
        assert_eq!(invocations_quota(10_000, None), 10_000);
        assert_eq!(invocations_quota(10_000, Some(3)), 3);
    }

    #[test]
    fn refusals_say_quota_first() {
        for refusal in [
            Refusal::KvBytes { used: 1, quota: 2, needs: 3 },
            Refusal::KvKeys { quota: 1 },
            Refusal::Events { quota: 1 },
        ] {
            assert!(refusal.to_string().starts_with("quota: "), "{refusal}");
        }
    }
}
