//! Metering as tenants' admins and platform admins read it: figures per day and export over a
//! range of days, with totals.

use std::collections::BTreeMap;

use ils_host_api::metrics::InvocationReport;
use jiff::civil::Date;
use serde::Serialize;

use super::store::{self, MeteringRow, StorageRow};
use super::{Month, day_of};
use ils_kernel::error::{Error, Result};
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;
use ils_storage::{Conn, TenantTx};

/// What invocations cost, summed (peak memory: the largest).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// Invocations that ran (failed ones included).
    pub invocations: u64,
    /// Invocations that failed: the plugin's error, a trap, or a limit it hit.
    pub failures: u64,
    /// Wall-clock time, instantiation included, in microseconds.
    pub wall_time_us: u64,
    /// Time spent running the plugin's code (host calls and waits excluded), in microseconds.
    pub cpu_time_us: u64,
    /// The largest linear memory one invocation reached, in bytes.
    pub peak_memory_bytes: u64,
    /// Outbound HTTP requests sent.
    pub outbound_requests: u64,
    /// Outbound HTTP body bytes, sent and received.
    pub outbound_bytes: u64,
    /// Events published.
    pub events_published: u64,
}

impl Figures {
    /// One invocation's figures.
    pub(crate) fn of(report: &InvocationReport) -> Self {
        let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        Self {
            invocations: 1,
            failures: u64::from(report.outcome != "ok"),
            wall_time_us: micros(report.duration),
            cpu_time_us: micros(report.cpu_time),
            peak_memory_bytes: u64::try_from(report.peak_memory_bytes).unwrap_or(u64::MAX),
            outbound_requests: u64::from(report.outbound_requests),
            outbound_bytes: report.outbound_bytes,
            events_published: u64::from(report.events_published),
        }
    }

    /// Adds `other` (peak memory: the larger of the two).
    pub(crate) fn add(&mut self, other: &Self) {
        self.invocations = self.invocations.saturating_add(other.invocations);
        self.failures = self.failures.saturating_add(other.failures);
        self.wall_time_us = self.wall_time_us.saturating_add(other.wall_time_us);
        self.cpu_time_us = self.cpu_time_us.saturating_add(other.cpu_time_us);
        self.peak_memory_bytes = self.peak_memory_bytes.max(other.peak_memory_bytes);
        self.outbound_requests = self.outbound_requests.saturating_add(other.outbound_requests);
        self.outbound_bytes = self.outbound_bytes.saturating_add(other.outbound_bytes);
        self.events_published = self.events_published.saturating_add(other.events_published);
    }
}

/// The most days one read covers.
pub const MAX_DAYS: i32 = 366;

/// A range of days (UTC), both ends included, at most [`MAX_DAYS`] long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayRange {
    from: Date,
    to: Date,
}

impl DayRange {
    /// `from` to `to` (`YYYY-MM-DD`); by default from the first of this month to today.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self> {
        let today = day_of(Timestamp::now());
        let date = |field: &str, text: Option<&str>, default: Date| match text {
            None => Ok(default),
            Some(text) => text
                .parse::<Date>()
                .map_err(|_| Error::invalid_field(field, format!("{text:?} is not a date (YYYY-MM-DD)"))),
        };
        let from = date("from", from, Month::of_day(today).first_day())?;
        let to = date("to", to, today)?;
        if to < from {
            return Err(Error::invalid_field("to", "must not be before from"));
        }
        let days = from.until(to).map(|span| span.get_days()).unwrap_or(i32::MAX);
        if days >= MAX_DAYS {
            return Err(Error::invalid_field("to", format!("at most {MAX_DAYS} days at once")));
        }
        Ok(Self { from, to })
    }

    /// The first day.
    pub fn from(&self) -> Date {
        self.from
    }

    /// The last day.
    pub fn to(&self) -> Date {
        self.to
    }
}

/// One export's figures of one day.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportFigures {
    /// The extension point called (`incoming-handler.handle`, `event-handler.handle`, …).
    pub export: String,
    /// What its invocations cost.
    #[serde(flatten)]
    pub figures: Figures,
}

/// One day of a plugin's metering.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayFigures {
    /// The day (UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: Date,
    /// Every export's figures, summed.
    pub total: Figures,
    /// By export, in name order.
    pub exports: Vec<ExportFigures>,
    /// Bytes the plugin kept in kv (keys and values) at the day's last count; absent on a day
    /// it did not run.
    pub kv_bytes: Option<u64>,
    /// Keys it kept in kv then.
    pub kv_keys: Option<u64>,
}

/// A tenant's plugin's metering over a range of days (days it did not run are left out).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginMetering {
    /// The plugin.
    pub plugin_id: String,
    /// The first day asked for.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    /// The last day asked for.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: Date,
    /// Every day's figures, summed.
    pub total: Figures,
    /// The days it ran, oldest first.
    pub days: Vec<DayFigures>,
}

/// One tenant's figures in a platform admin's view.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantMetering {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Every day's figures, summed.
    pub total: Figures,
    /// The days its plugin ran, oldest first.
    pub days: Vec<DayFigures>,
}

/// A plugin's metering across tenants, for platform admins.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformMetering {
    /// The plugin.
    pub plugin_id: String,
    /// The first day asked for.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    /// The last day asked for.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: Date,
    /// Every tenant's figures, summed.
    pub total: Figures,
    /// The tenants it ran for, in id order.
    pub tenants: Vec<TenantMetering>,
}

fn corrupt(day: &str) -> Error {
    Error::Internal(format!("stored metering day {day:?} is not a date"))
}

/// Days built from one tenant's rows (in day order) and kv snapshots.
fn days(rows: &[&MeteringRow], storage: &[&StorageRow]) -> Result<(Figures, Vec<DayFigures>)> {
    let mut by_day: BTreeMap<&str, DayFigures> = BTreeMap::new();
    let mut total = Figures::default();
    for row in rows {
        let figures = row.figures();
        total.add(&figures);
        let day = match by_day.entry(row.day.as_str()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(DayFigures {
                day: row.day.parse().map_err(|_| corrupt(&row.day))?,
                total: Figures::default(),
                exports: Vec::new(),
                kv_bytes: None,
                kv_keys: None,
            }),
        };
        day.total.add(&figures);
        day.exports.push(ExportFigures { export: row.export.clone(), figures });
    }
    for snapshot in storage {
        if let Some(day) = by_day.get_mut(snapshot.day.as_str()) {
            day.kv_bytes = u64::try_from(snapshot.kv_bytes).ok();
            day.kv_keys = u64::try_from(snapshot.kv_keys).ok();
        }
    }
    Ok((total, by_day.into_values().collect()))
}

/// The transaction's tenant's metering of `plugin` over `range`, as the database holds it (flush
/// this node's first).
pub async fn tenant_metering(tx: &mut TenantTx, plugin: &str, range: DayRange) -> Result<PluginMetering> {
    let rows = store::tenant_rows(tx, plugin, range.from, range.to).await?;
    let storage = store::tenant_storage(tx, plugin, range.from, range.to).await?;
    let (total, days) = days(&rows.iter().collect::<Vec<_>>(), &storage.iter().collect::<Vec<_>>())?;
    Ok(PluginMetering { plugin_id: plugin.to_owned(), from: range.from, to: range.to, total, days })
}

/// Every tenant's metering of `plugin` over `range` (a system transaction; flush this node's first).
pub async fn platform_metering(conn: &mut Conn, plugin: &str, range: DayRange) -> Result<PlatformMetering> {
    let rows = store::platform_rows(conn, plugin, range.from, range.to).await?;
    let storage = store::platform_storage(conn, plugin, range.from, range.to).await?;
    let mut by_tenant: BTreeMap<TenantId, (Vec<&MeteringRow>, Vec<&StorageRow>)> = BTreeMap::new();
    for row in &rows {
        by_tenant.entry(row.tenant_id).or_default().0.push(row);
    }
    for snapshot in &storage {
        if let Some(tenant) = by_tenant.get_mut(&snapshot.tenant_id) {
            tenant.1.push(snapshot);
        }
    }
    let mut total = Figures::default();
    let mut tenants = Vec::with_capacity(by_tenant.len());
    for (tenant_id, (rows, storage)) in by_tenant {
        let (sum, days) = days(&rows, &storage)?;
        total.add(&sum);
        tenants.push(TenantMetering { tenant_id, total: sum, days });
    }
    Ok(PlatformMetering { plugin_id: plugin.to_owned(), from: range.from, to: range.to, total, tenants })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_checked_and_defaults_to_this_month() {
        let range = DayRange::parse(None, None).unwrap();
        assert_eq!(range.from().day(), 1);
        assert!(range.to() >= range.from());
        let week = DayRange::parse(Some("2026-03-01"), Some("2026-03-07")).unwrap();
        assert_eq!(
            (week.from().to_string(), week.to().to_string()),
            ("2026-03-01".into(), "2026-03-07".into())
        );
        assert!(DayRange::parse(Some("2026-03-08"), Some("2026-03-07")).is_err(), "backwards");
        assert!(DayRange::parse(Some("March"), None).is_err(), "not a date");
        assert!(DayRange::parse(Some("2025-01-01"), Some("2026-01-01")).is_ok(), "366 days");
        assert!(DayRange::parse(Some("2025-01-01"), Some("2026-01-02")).is_err(), "367 days");
    }

    #[test]
    fn figures_add_up_and_keep_the_largest_peak() {
        let mut a =
            Figures { invocations: 2, wall_time_us: 10, peak_memory_bytes: 100, ..Figures::default() };
        a.add(&Figures {
            invocations: 1,
            failures: 1,
            wall_time_us: 5,
            peak_memory_bytes: 50,
            ..Figures::default()
        });
        assert_eq!((a.invocations, a.failures, a.wall_time_us, a.peak_memory_bytes), (3, 1, 15, 100));
    }
}
