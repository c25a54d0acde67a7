//! Metering: what each tenant's plugins cost, per day and export — invocations and failures, wall
//! and CPU time, peak memory, outbound requests and bytes, events published, and what the plugin
//! keeps in kv — and the monthly invocation quota checked before every call.
//!
//! Recording puts no database write on a call's path: every invocation's report
//! ([`InvocationReport`]) is added to this node's totals in memory, and [`Metering::flush`] adds
//! them to the day's rows (an upsert adding deltas, so every node adds to the same rows) every
//! few seconds ([`Metering::run`]), at shutdown, and before usage is read — so a reader right
//! after a call sees it.
//!
//! The quota check ([`Metering::reserve`]) counts what the database holds for the month (read at
//! most every [`CACHE_FOR`] per tenant and plugin), plus this node's invocations not yet flushed
//! or flushed since that read, plus its calls in flight. On one node that is exact: the call past
//! the quota is refused. Across nodes each sees the others' calls once they flushed and it read
//! again, so together they may pass the quota by what they run in those few seconds
//! (docs/adr/023-plugin-metering.md).

pub mod store;
mod view;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ils_host_api::metrics::{InvocationReport, MetricsSink};
use ils_registry::PluginId;
use jiff::civil::Date;

pub use crate::calendar::{Month, day_of};

use ils_kernel::error::{Error, Result};
use ils_storage::Db;
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;

pub use view::{
    DayFigures, DayRange, ExportFigures, Figures, MAX_DAYS, PlatformMetering, PluginMetering, TenantMetering,
    platform_metering, tenant_metering,
};

/// How often [`Metering::run`] adds this node's totals to the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// How long the month's count read from the database is used before it is read again.
pub const CACHE_FOR: Duration = Duration::from_secs(2);

/// A call refused because the (tenant, plugin) used its invocations of the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exceeded {
    /// The quota: invocations a month.
    pub quota: u64,
    /// Invocations counted this month.
    pub used: u64,
    /// When the count starts again from zero.
    pub reset_at: Timestamp,
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "quota: {} of {} invocations this month used; calls start again at {}",
            self.used, self.quota, self.reset_at
        )
    }
}

/// One day's figures of one export, as this node has not yet flushed them.
type Key = (TenantId, String, Date, &'static str);

/// What this node knows of one (tenant, plugin)'s invocations in a month.
#[derive(Debug)]
struct Count {
    month: Month,
    /// The database's count (every node's flushed invocations) and the operator's quota, when read.
    stored: Option<Stored>,
    /// Invocations recorded here and not yet flushed.
    unflushed: u64,
    /// Invocations flushed from here since `stored` was read.
    flushed_since: u64,
    /// Calls let through and not yet finished.
    in_flight: u64,
    /// Whether this month's first refusal was logged (later ones log at debug).
    refusal_logged: bool,
}

impl Count {
    fn new(month: Month) -> Self {
        Self { month, stored: None, unflushed: 0, flushed_since: 0, in_flight: 0, refusal_logged: false }
    }
}

#[derive(Clone, Copy, Debug)]
struct Stored {
    invocations: u64,
    quota: Option<i64>,
    read_at: Instant,
}

/// A plugin version's calls across tenants, as roll-outs judge it: invocations, failures that
/// are the plugin's fault (a trap, a limit, its own error), and breaker trips.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Invocations.
    pub invocations: u64,
    /// Failures that are the plugin's fault.
    pub failures: u64,
    /// Times a tenant's breaker opened on it.
    pub breaker_trips: u64,
}

impl Health {
    fn add(&mut self, other: Health) {
        self.invocations += other.invocations;
        self.failures += other.failures;
        self.breaker_trips += other.breaker_trips;
    }
}

/// The outcomes that are the plugin's fault (the breaker counts the same).
const PLUGIN_FAULTS: [&str; 3] = ["trap", "limit_exceeded", "plugin_error"];

#[derive(Debug, Default)]
struct State {
    pending: HashMap<Key, Figures>,
    /// Each (plugin, version)'s health not yet flushed.
    health: HashMap<(String, String), Health>,
    counts: HashMap<(TenantId, String), Count>,
}

impl State {
    /// The count of `key` in `month` (a count of an earlier month is started afresh).
    fn count(&mut self, key: (TenantId, String), month: Month) -> &mut Count {
        let count = self.counts.entry(key).or_insert_with(|| Count::new(month));
        if count.month != month {
            *count = Count::new(month);
        }
        count
    }
}

/// This node's metering: totals not yet flushed, and what it knows of each month's count. It is
/// also the plugin host's [`MetricsSink`]: every report is added here and passed on to `inner`
/// (Prometheus).
pub struct Metering {
    db: Db,
    inner: Arc<dyn MetricsSink>,
    state: Mutex<State>,
    /// Held while a flush writes, and while a count is read: a read then never misses what a
    /// flush moved from memory to the database.
    flushing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metering").finish_non_exhaustive()
    }
}

/// A call let through the monthly quota, counted as in flight until it is dropped (by then its
/// report, if it ran, is recorded).
#[derive(Debug)]
pub struct Reservation<'a> {
    metering: &'a Metering,
    key: (TenantId, String),
    month: Month,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut state = self.metering.state();
        if let Some(count) = state.counts.get_mut(&self.key)
            && count.month == self.month
        {
            count.in_flight = count.in_flight.saturating_sub(1);
        }
    }
}

impl Metering {
    /// Metering over `db`, passing every report on to `inner`.
    pub fn new(db: Db, inner: Arc<dyn MetricsSink>) -> Self {
        Self { db, inner, state: Mutex::default(), flushing: tokio::sync::Mutex::new(()) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds one invocation's report to today's totals. A call the host turned away before it
    /// ran (`busy`) is not an invocation.
    fn add(&self, report: &InvocationReport) {
        if report.outcome == "busy" {
            return;
        }
        let day = day_of(Timestamp::now());
        let plugin = report.plugin.as_str().to_owned();
        let mut state = self.state();
        let key = (report.tenant, plugin.clone(), day, report.export);
        state.pending.entry(key).or_default().add(&Figures::of(report));
        let failed = u64::from(PLUGIN_FAULTS.contains(&report.outcome));
        let health = Health { invocations: 1, failures: failed, breaker_trips: 0 };
        state.health.entry((plugin.clone(), report.version.to_string())).or_default().add(health);
        state.count((report.tenant, plugin), Month::of_day(day)).unflushed += 1;
    }

    /// Counts a breaker trip of `plugin` `version` (some tenant's breaker opened on it).
    pub fn tripped(&self, plugin: &str, version: &str) {
        let trip = Health { invocations: 0, failures: 0, breaker_trips: 1 };
        self.state().health.entry((plugin.to_owned(), version.to_owned())).or_default().add(trip);
    }

    /// Lets a call of `tenant`'s `plugin` through the monthly invocation quota (its plan's
    /// `plan_quota`, unless an operator set one for it), or refuses it. The reservation counts the call as in flight until it is dropped.
    pub async fn reserve(
        &self,
        tenant: TenantId,
        plugin: &str,
        plan_quota: i64,
    ) -> Result<std::result::Result<Reservation<'_>, Exceeded>> {
        let month = Month::of(Timestamp::now());
        let key = (tenant, plugin.to_owned());
        let fresh = |this: &Self| {
            this.state().count(key.clone(), month).stored.map(|s| s.read_at.elapsed() < CACHE_FOR)
        };
        match fresh(self) {
            Some(true) => {}
            // A stale count still holds this node's calls exactly; read again unless a flush
            // is under way (the next call will), and go on with it if the read fails.
            Some(false) => {
                if let Ok(_flushing) = self.flushing.try_lock()
                    && fresh(self) == Some(false)
                    && let Err(error) = self.read(tenant, plugin, month).await
                {
                    tracing::warn!(%tenant, plugin, %error, "monthly invocations not read again; the last count is used");
                }
            }
            None => {
                let _flushing = self.flushing.lock().await;
                // Calls that waited here for the first read find it done.
                if fresh(self) != Some(true) {
                    self.read(tenant, plugin, month).await?;
                }
            }
        }
        let mut state = self.state();
        let count = state.count(key.clone(), month);
        let stored =
            count.stored.ok_or_else(|| Error::Internal("the month's invocations were not read".into()))?;
        let used = stored.invocations + count.unflushed + count.flushed_since + count.in_flight;
        let quota = u64::try_from(crate::quota::invocations_quota(plan_quota, stored.quota)).unwrap_or(0);
        if used >= quota {
            let exceeded = Exceeded { quota, used, reset_at: month.resets_at() };
            if count.refusal_logged {
                tracing::debug!(%tenant, plugin, %exceeded, "plugin call refused for its monthly quota");
            } else {
                count.refusal_logged = true;
                tracing::warn!(%tenant, plugin, %exceeded,
                    "plugin call refused for its monthly quota: its calls are refused, its event deliveries wait and its scheduled jobs are skipped until the reset");
            }
            return Ok(Err(exceeded));
        }
        count.in_flight += 1;
        count.refusal_logged = false;
        Ok(Ok(Reservation { metering: self, key, month }))
    }

    /// Reads the month's count and the operator's quota from the database; the caller holds
    /// `flushing`, so no flush moves invocations between memory and the database meanwhile.
    async fn read(&self, tenant: TenantId, plugin: &str, month: Month) -> Result<()> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let invocations = store::month_invocations(&mut tx, plugin, month).await?;
        let quota =
            crate::store::usage(&mut tx, plugin).await?.and_then(|row| row.invocations_per_month_quota);
        tx.commit().await?;
        let stored =
            Stored { invocations: u64::try_from(invocations).unwrap_or(0), quota, read_at: Instant::now() };
        let mut state = self.state();
        let count = state.count((tenant, plugin.to_owned()), month);
        count.stored = Some(stored);
        count.flushed_since = 0;
        Ok(())
    }

    /// Adds this node's totals to the database (and today's kv snapshot of each plugin that ran).
    /// On failure the totals stay in memory for the next flush.
    pub async fn flush(&self) -> Result<()> {
        let _flushing = self.flushing.lock().await;
        let (batch, health) = {
            let mut state = self.state();
            (std::mem::take(&mut state.pending), std::mem::take(&mut state.health))
        };
        if batch.is_empty() && health.is_empty() {
            return Ok(());
        }
        let written = store::add(&self.db, &batch, &health).await;
        let mut state = self.state();
        match written {
            Ok(()) => {
                for ((tenant, plugin, day, _), figures) in &batch {
                    if let Some(count) = state.counts.get_mut(&(*tenant, plugin.clone()))
                        && count.month == Month::of_day(*day)
                    {
                        count.unflushed = count.unflushed.saturating_sub(figures.invocations);
                        count.flushed_since += figures.invocations;
                    }
                }
                Ok(())
            }
            Err(e) => {
                for (key, figures) in batch {
                    state.pending.entry(key).or_default().add(&figures);
                }
                for (key, h) in health {
                    state.health.entry(key).or_default().add(h);
                }
                Err(e)
            }
        }
    }

    /// Flushes every [`FLUSH_EVERY`], for as long as it runs (spawn it; abort it at shutdown and
    /// flush once more).
    pub async fn run(self: Arc<Self>) {
        let mut every = tokio::time::interval(FLUSH_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(error) = self.flush().await {
                tracing::warn!(%error, "plugin metering not flushed; kept for the next try");
            }
        }
    }
}

impl MetricsSink for Metering {
    fn record(&self, report: InvocationReport) {
        self.add(&report);
        self.inner.record(report);
    }

    fn quota_refused(&self, plugin: &PluginId, quota: &'static str) {
        self.inner.quota_refused(plugin, quota);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::from_jiff(text.parse().unwrap())
    }

    #[test]
    fn a_month_resets_at_the_start_of_the_next_one_in_utc() {
        let month = Month::of(at("2026-01-31T23:59:59Z"));
        assert_eq!(month.first_day().to_string(), "2026-01-01");
        assert_eq!(month.resets_at().to_string(), at("2026-02-01T00:00:00Z").to_string());
        let december = Month::of(at("2026-12-15T12:00:00Z"));
        assert_eq!(december.next().to_string(), "2027-01-01");
        let leap = Month::of(at("2028-02-29T10:00:00Z"));
        assert_eq!(leap.next().to_string(), "2028-03-01");
    }
}
