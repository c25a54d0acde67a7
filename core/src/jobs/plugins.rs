//! Plugin work on the job queue: delivering events to the plugins that subscribe to them, and
//! running plugins' schedules per tenant. A delivery is retried when the failure may pass (the
//! plugin said so, or it ran out of time); a plugin whose breaker is open is not called — its
//! deliveries wait (snooze) until the breaker lets a trial call through. A plugin that used its
//! invocations of the month is not called either: its deliveries wait, looking again every
//! hour (an operator may raise the quota) and at the latest when the month resets, and its
//! scheduled runs are skipped (ADR 023). A tenant already running its share of plugin work on
//! this process has its jobs snoozed too ([`super::fair`]).

use std::time::Duration;

use riverqueue::{BoxError, CronSchedule, InsertOpts, Job, JobArgs, PeriodicSchedule, WorkOutcome};
use serde::{Deserialize, Serialize};

use super::fair::{self, FairShare, Work};
use crate::state::AppState;
use ils_kernel::error::Result;
use ils_outbox::Envelope;
use ils_plugin_host::runtime::CallError;
use ils_plugin_host::store;
use ils_storage::TenantTx;
use ils_storage::ids::{EventId, TenantId};
use ils_storage::types::Timestamp;

/// Deliver one event to one tenant's plugin.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "deliver_plugin_event", unique(by_args))]
pub struct DeliverPluginEvent {
    /// The tenant whose plugin receives the event.
    pub tenant_id: TenantId,
    /// The plugin's id, as in its manifest.
    pub plugin_id: String,
    /// The event to deliver. The job is unique by its arguments: one job per event and plugin.
    pub event_id: EventId,
}

/// Run one scheduled job of one tenant's plugin, for the minute `at` (unix seconds).
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "run_plugin_job", unique(by_args))]
pub struct RunPluginJob {
    /// The tenant whose plugin runs the job.
    pub tenant_id: TenantId,
    /// The plugin's id, as in its manifest.
    pub plugin_id: String,
    /// The schedule's name.
    pub job: String,
    /// The minute it is due, unix seconds.
    pub at: i64,
}

/// Every minute: queue the plugin schedules due this minute, for every tenant.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "plugin_schedules")]
pub struct PluginSchedules {}

/// The prefix of the events a plugin publishes itself (never delivered back to it).
fn own_prefix(plugin: &str) -> String {
    format!("plugin.{}.", plugin.replace('-', "_"))
}

/// Queues a delivery of each event to every enabled plugin of the tenant that subscribes to it,
/// in the dispatch transaction. A plugin's own events reach it only when its manifest names their
/// exact type (its work queue, such as `plugin.shopify_sync.webhook_received`); a family pattern
/// never matches them, so no plugin feeds on its own events by accident (docs/adr/030).
#[derive(Clone, Debug)]
pub struct FanOut {
    /// The runtime, which knows each installed version's manifest.
    pub plugins: std::sync::Arc<ils_plugin_host::Plugins>,
    /// Attempts of each delivery before it becomes a dead job.
    pub delivery_attempts: u16,
}

#[async_trait::async_trait]
impl ils_outbox::Consumer for FanOut {
    async fn on_event(&self, tx: &mut TenantTx, event: &Envelope) -> Result<()> {
        fan_out(&self.plugins, self.delivery_attempts, tx, event).await
    }
}

async fn fan_out(
    plugins: &ils_plugin_host::Plugins,
    delivery_attempts: u16,
    tx: &mut TenantTx,
    event: &Envelope,
) -> Result<()> {
    let enabled: Vec<_> = store::enablements(tx).await?.into_iter().filter(|r| r.enabled).collect();
    if enabled.is_empty() {
        return Ok(());
    }
    let opts = InsertOpts::default().with_max_attempts(i32::from(delivery_attempts));
    for row in enabled {
        let Some(manifest) = plugins.manifest(tx.conn(), &row.plugin_id, &row.version).await? else {
            continue;
        };
        let own = event.type_.starts_with(&own_prefix(&row.plugin_id));
        if own && !manifest.events.contains(&event.type_) {
            continue;
        }
        if !manifest.subscribes_to(&event.type_) {
            continue;
        }
        let delivery = DeliverPluginEvent {
            tenant_id: event.tenant_id,
            plugin_id: row.plugin_id.clone(),
            event_id: event.id,
        };
        let (conn, jobs) = tx.with_jobs();
        ils_outbox::queue::enqueue(conn, jobs, delivery, opts.clone()).await?;
    }
    Ok(())
}

/// How often a delivery held back by a monthly quota looks again before the reset.
const QUOTA_RECHECK: Duration = Duration::from_secs(3600);

/// What a job does with the outcome of a plugin call.
fn outcome(
    result: std::result::Result<(), CallError>,
    what: &str,
) -> std::result::Result<WorkOutcome, BoxError> {
    match result {
        Ok(()) => Ok(WorkOutcome::Complete),
        Err(CallError::Tripped { until, .. }) => {
            let wait = until.as_jiff().duration_since(jiff::Timestamp::now());
            let wait = Duration::try_from(wait).unwrap_or(Duration::ZERO) + Duration::from_secs(1);
            Ok(WorkOutcome::Snooze(wait))
        }
        Err(CallError::QuotaExceeded(exceeded)) => {
            let wait = exceeded.reset_at.as_jiff().duration_since(jiff::Timestamp::now());
            let wait = Duration::try_from(wait).unwrap_or(Duration::ZERO).min(QUOTA_RECHECK);
            tracing::debug!(what, %exceeded, "plugin delivery waits for its monthly quota");
            Ok(WorkOutcome::Snooze(wait + Duration::from_secs(1)))
        }
        Err(CallError::Failed(e)) if e.is_retryable() => Err(format!("{what}: {e}").into()),
        Err(CallError::Failed(e)) => {
            Err(riverqueue::JobCancelError::new(format!("{what}: {e} (not retried)")).into())
        }
        Err(CallError::Host(e)) => Err(e.into()),
    }
}

/// Waits for the (tenant, plugin)'s turn ([`ils_plugin_host::Plugins::turn`]), at most a
/// quarter of the job timeout, so the wait and the longest call a plan allows (30 s) fit in the
/// job's time; `None` when the turn did not come: the job is then snoozed, not timed out (which
/// would use an attempt).
async fn wait_turn(
    state: &AppState,
    tenant: TenantId,
    plugin: &str,
) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    let patience = state.config.jobs.job_timeout / 4;
    tokio::time::timeout(patience, state.plugins.turn(tenant, plugin)).await.ok()
}

pub(crate) async fn deliver(
    state: &AppState,
    share: &FairShare,
    job: Job<DeliverPluginEvent>,
) -> std::result::Result<WorkOutcome, BoxError> {
    let args = &job.args;
    let Some(_slot) = share.try_take(args.tenant_id, Work::Plugin) else {
        return Ok(fair::turn_away(&job.row, Work::Plugin, &state.metrics));
    };
    let Some(_turn) = wait_turn(state, args.tenant_id, &args.plugin_id).await else {
        return Ok(fair::snooze(&job.row));
    };
    // Disabled since the event was dispatched: nothing to deliver.
    let Some(target) = state.plugins.target(args.tenant_id, &args.plugin_id).await? else {
        return Ok(WorkOutcome::Complete);
    };
    let mut tx = state.db.tenant_read(args.tenant_id).await?;
    let event = ils_outbox::get(&mut tx, args.event_id).await?;
    tx.commit().await?;
    let Some(event) = event else {
        return Err(riverqueue::JobCancelError::new(format!("event {} does not exist", args.event_id)).into());
    };
    if !target.manifest().subscribes_to(&event.type_) {
        return Ok(WorkOutcome::Complete);
    }
    let host_event = ils_host_api::Event {
        id: event.id.to_string(),
        kind: event.type_.clone(),
        occurred_at_ms: event.timestamp.as_jiff().as_millisecond(),
        payload: serde_json::to_string(&event.data)?,
    };
    let result = state
        .plugins
        .call(&target, None, |host, version, ctx| async move {
            host.invoke_event(&version, ctx, host_event).await
        })
        .await;
    outcome(result, &format!("{} handling {}", args.plugin_id, event.type_))
}

pub(crate) async fn run_job(
    state: &AppState,
    share: &FairShare,
    job: Job<RunPluginJob>,
) -> std::result::Result<WorkOutcome, BoxError> {
    let args = &job.args;
    let Some(_slot) = share.try_take(args.tenant_id, Work::Plugin) else {
        return Ok(fair::turn_away(&job.row, Work::Plugin, &state.metrics));
    };
    let Some(_turn) = wait_turn(state, args.tenant_id, &args.plugin_id).await else {
        return Ok(fair::snooze(&job.row));
    };
    let Some(target) = state.plugins.target(args.tenant_id, &args.plugin_id).await? else {
        return Ok(WorkOutcome::Complete);
    };
    if !target.manifest().schedules.iter().any(|s| s.name == args.job) {
        return Ok(WorkOutcome::Complete);
    }
    let name = args.job.clone();
    let at_ms = args.at.saturating_mul(1000);
    let result =
        state
            .plugins
            .call(&target, None, |host, version, ctx| async move {
                host.run_job(&version, ctx, &name, at_ms).await
            })
            .await;
    if let Err(CallError::QuotaExceeded(exceeded)) = &result {
        // A scheduled run is about its minute: a later run would not be the one scheduled.
        tracing::info!(tenant = %args.tenant_id, plugin = %args.plugin_id, job = %args.job, %exceeded,
            "scheduled plugin job skipped: monthly quota used");
        return Ok(WorkOutcome::Complete);
    }
    outcome(result, &format!("{} job {}", args.plugin_id, args.job))
}

/// Whether `cron` fires at `minute` (the start of a minute).
pub(crate) fn fires_at(cron: &CronSchedule, minute: jiff::Timestamp) -> bool {
    let just_before = minute - jiff::SignedDuration::from_secs(1);
    cron.next(just_before) == Some(minute)
}

pub(crate) async fn schedules(state: &AppState) -> std::result::Result<WorkOutcome, BoxError> {
    let now = Timestamp::now().as_jiff();
    let minute = jiff::Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(60))?;
    queue_due(state, minute).await?;
    Ok(WorkOutcome::Complete)
}

/// Queues a run of every enabled plugin schedule (of every tenant) that fires at `minute` — what
/// the minutely `plugin_schedules` job does for the current minute. Returns how many were
/// queued (a run already queued for that minute is not queued again).
pub async fn queue_due(state: &AppState, minute: jiff::Timestamp) -> Result<u32> {
    let mut tx = state.db.system().await?;
    let rows = store::enabled_everywhere(tx.conn()).await?;
    let opts = InsertOpts::default().with_max_attempts(i32::from(state.config.jobs.delivery_attempts));
    let mut queued = 0;
    for row in rows {
        let Some(manifest) = state.plugins.manifest(tx.conn(), &row.plugin_id, &row.version).await? else {
            continue;
        };
        for schedule in &manifest.schedules {
            let Ok(cron) = CronSchedule::parse(&schedule.cron) else { continue };
            if !fires_at(&cron, minute) {
                continue;
            }
            let run = RunPluginJob {
                tenant_id: row.tenant_id,
                plugin_id: row.plugin_id.clone(),
                job: schedule.name.clone(),
                at: minute.as_second(),
            };
            let (conn, jobs) = tx.with_jobs();
            queued += u32::from(ils_outbox::queue::enqueue(conn, jobs, run, opts.clone()).await?);
        }
    }
    tx.commit().await?;
    if queued > 0 {
        tracing::info!(queued, "plugin schedules queued");
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_schedule_fires_only_on_its_minutes() {
        let hourly = CronSchedule::parse("0 * * * *").unwrap();
        assert!(fires_at(&hourly, at("2026-11-21T10:00:00Z")));
        assert!(!fires_at(&hourly, at("2026-11-21T10:01:00Z")));
        let nightly = CronSchedule::parse("30 2 * * *").unwrap();
        assert!(fires_at(&nightly, at("2026-11-21T02:30:00Z")));
        assert!(!fires_at(&nightly, at("2026-11-21T14:30:00Z")));
        let every = CronSchedule::parse("* * * * *").unwrap();
        assert!(fires_at(&every, at("2026-11-21T14:31:00Z")));
    }

    #[test]
    fn a_delivery_over_its_monthly_quota_waits_at_most_an_hour_and_is_not_failed() {
        let exceeded = |secs: u64| {
            CallError::QuotaExceeded(ils_plugin_host::metering::Exceeded {
                quota: 10,
                used: 10,
                reset_at: Timestamp::now().plus(Duration::from_secs(secs)),
            })
        };
        let Ok(WorkOutcome::Snooze(soon)) = outcome(Err(exceeded(600)), "probe") else {
            panic!("not a snooze")
        };
        assert!(soon > Duration::from_secs(590) && soon <= Duration::from_secs(601), "{soon:?}");
        let Ok(WorkOutcome::Snooze(later)) = outcome(Err(exceeded(20 * 86_400)), "probe") else {
            panic!("not a snooze")
        };
        assert_eq!(later, QUOTA_RECHECK + Duration::from_secs(1), "looks again within the hour");
    }

    #[test]
    fn a_plugin_never_receives_its_own_events() {
        assert!("plugin.order_notes.noted".starts_with(&own_prefix("order-notes")));
        assert!(!"plugin.order_notes_two.noted".starts_with(&own_prefix("order-notes")));
    }
}
