//! Background work on the durable job queue (River, on the same database: see
//! docs/adr/006-job-queue.md). Jobs are inserted in the transaction of the change that causes
//! them, so they exist exactly when the change does, and are worked at least once — by any
//! `ils serve` process sharing the database.
//!
//! Committed domain events reach the consumers registered here (webhook endpoints, e-mail,
//! plugins) through the outbox relay ([`ils_outbox::relay`], started and stopped with the
//! workers; docs/adr/035-outbox-relay.md), which lets them queue `deliver_webhook` (one event to
//! one endpoint), `send_email` (one message) and the plugin jobs. `send_purchase_order` e-mails an order to its
//! supplier (queued by the send itself). `dispatch_event` hands one
//! event to them: an event the relay could not hand over on its own, or one queued by a version
//! before the relay. Periodic maintenance: `purge_sessions`, `plugin_schedules`,
//! `report_schedules`, `recall_sweep` (recall notices, docs/adr/044), `reminder_sweep`
//! (appointments tomorrow, docs/adr/045; glasses ready is `order_ready_reminder`, queued from
//! `order.status_changed`), `send_sms` (one text message through the tenant's SMS provider
//! plugin, docs/adr/046), and privacy's daily
//! `retention_sweep` and `audit_purge` (docs/adr/039).

pub mod fair;
pub mod plugins;
pub mod privacy;
pub mod recalls;
pub mod reminders;
pub mod sms;
pub mod stats;
pub mod webhooks;

use std::time::Duration;

use riverqueue::{
    BoxError, CronSchedule, Job, JobArgs, JobRow, MaintenanceConfig, PeriodicJob, PeriodicJobOpts,
    QueueConfig, Retention, RetryPolicy, WorkContext, WorkError, WorkOutcome, Workers,
};
use serde::{Deserialize, Serialize};

use ils_outbox::Consumers;

use crate::state::AppState;
use ils_kernel::error::{Error, Result};

/// Render the report schedules that are due and e-mail their links (docs/adr/028); mark runs
/// that never ended as failed.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "report_schedules")]
pub struct ReportSchedules {}

/// A render ends within its plan's time limit (at most a minute, ADR 025); one still `running`
/// after this long belonged to a process that stopped.
const ABANDONED_AFTER: Duration = Duration::from_secs(600);

async fn report_schedules(state: &AppState) -> std::result::Result<WorkOutcome, BoxError> {
    let now = ils_storage::types::Timestamp::now();
    let abandoned = state.reports.abandon(now.minus(ABANDONED_AFTER)).await?;
    if abandoned > 0 {
        tracing::warn!(abandoned, "report runs that never ended were marked failed");
    }
    state.reports.run_due(now).await?;
    Ok(WorkOutcome::Complete)
}

/// Remove sessions that ended longer ago than the retention.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "purge_sessions")]
pub struct PurgeSessions {}

pub use crate::config::JobsConfig;
pub use ils_outbox::queue::{DispatchEvent, enqueue, queue_error};

/// Exponential backoff with full jitter: attempt n waits a random time between half and all of
/// `base * 2^(n-1)`, capped at `max`. Jitter spreads retries of many failed deliveries.
#[derive(Clone, Debug)]
pub struct ExponentialJitter {
    base: Duration,
    max: Duration,
}

impl ExponentialJitter {
    /// The delay before the next attempt after `errors` failures.
    pub fn delay(&self, errors: usize) -> Duration {
        let exponent = u32::try_from(errors.saturating_sub(1).min(30)).unwrap_or(30);
        let full = self.base.saturating_mul(2u32.saturating_pow(exponent)).min(self.max);
        let fraction = 0.5 + rand::random::<f64>() / 2.0;
        full.mul_f64(fraction)
    }
}

impl RetryPolicy for ExponentialJitter {
    fn next_retry(&self, job: &JobRow, _error: &WorkError, _now: jiff::Timestamp) -> Duration {
        self.delay(job.errors.len() + 1)
    }
}

/// The workers and the outbox relay of this process, running until the handle is stopped.
pub struct Runner {
    handle: riverqueue::RunHandle,
    relay: ils_outbox::relay::Relay,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runner")
    }
}

impl Runner {
    /// Starts working jobs with `state`'s settings.
    pub fn start(state: AppState) -> Result<Self> {
        let config = state.config.jobs.clone();
        if config.rescue_after <= config.job_timeout {
            return Err(Error::invalid_field(
                "rescue_after",
                "must be longer than the job timeout, or a slow live job would run twice",
            ));
        }
        let share = fair::FairShare::new(
            config.workers,
            fair::FairShare::cap_for(config.workers, config.tenant_share),
        );
        let mut workers = Workers::new();
        let consumers = consumers(&state);
        let db = state.db.clone();
        let relay = ils_outbox::relay::RelayConfig {
            batch: config.relay_batch,
            poll: config.relay_poll,
            concurrency: config.relay_concurrency,
        };
        let relay_with = (db.clone(), consumers.clone());
        workers
            .add_fn(move |_: WorkContext, job: Job<DispatchEvent>| {
                let (consumers, db) = (consumers.clone(), db.clone());
                async move { consumers.dispatch(&db, &job.args).await }
            })
            .map_err(queue_error)?;
        let deliver = webhooks::Deliverer {
            db: state.db.clone(),
            sealer: state.sealer.clone(),
            http: state.http.clone(),
            allow_private_targets: state.config.webhooks.allow_private_targets,
            metrics: state.metrics.clone(),
            share: share.clone(),
        };
        workers
            .add_fn(move |_: WorkContext, job: Job<ils_webhooks::DeliverWebhook>| {
                let state = deliver.clone();
                async move { webhooks::work(&state, job).await }
            })
            .map_err(queue_error)?;
        let mail = state.clone();
        workers
            .add_fn(move |_: WorkContext, job: Job<crate::notify::SendEmail>| {
                let state = mail.clone();
                async move { crate::notify::work(state.mailer.as_ref(), job).await }
            })
            .map_err(queue_error)?;
        let orders_mail = state.clone();
        workers
            .add_fn(move |_: WorkContext, job: Job<crate::notify::purchase_orders::SendPurchaseOrder>| {
                let state = orders_mail.clone();
                async move { crate::notify::purchase_orders::work(&state, job).await }
            })
            .map_err(queue_error)?;
        let plugin_events = (state.clone(), share.clone());
        workers
            .add_fn(move |_: WorkContext, job: Job<plugins::DeliverPluginEvent>| {
                let (state, share) = plugin_events.clone();
                async move { plugins::deliver(&state, &share, job).await }
            })
            .map_err(queue_error)?;
        let plugin_jobs = (state.clone(), share);
        workers
            .add_fn(move |_: WorkContext, job: Job<plugins::RunPluginJob>| {
                let (state, share) = plugin_jobs.clone();
                async move { plugins::run_job(&state, &share, job).await }
            })
            .map_err(queue_error)?;
        let plugin_schedules = state.clone();
        workers
            .add_fn(move |_: WorkContext, _: Job<plugins::PluginSchedules>| {
                let state = plugin_schedules.clone();
                async move { plugins::schedules(&state).await }
            })
            .map_err(queue_error)?;
        let report_runs = state.clone();
        workers
            .add_fn(move |_: WorkContext, _: Job<ReportSchedules>| {
                let state = report_runs.clone();
                async move { report_schedules(&state).await }
            })
            .map_err(queue_error)?;
        let purge = state.clone();
        workers
            .add_fn(move |_: WorkContext, _: Job<PurgeSessions>| {
                let state = purge.clone();
                async move { purge_sessions(&state).await }
            })
            .map_err(queue_error)?;
        privacy::register(&mut workers, &state)?;
        recalls::register(&mut workers, &state)?;
        reminders::register(&mut workers, &state)?;
        sms::register(&mut workers, &state)?;
        let privacy_schedule = || {
            CronSchedule::parse(&state.config.privacy.schedule)
                .map_err(|e| Error::invalid_field("privacy_schedule", e.to_string()))
        };
        let schedule = || {
            CronSchedule::parse(&config.maintenance_schedule)
                .map_err(|e| Error::invalid_field("maintenance_schedule", e.to_string()))
        };
        let client = state
            .db
            .jobs_builder()
            .workers(workers)
            .queue(
                "default",
                QueueConfig::new(config.workers).with_fetch_poll_interval(config.fetch_poll_interval),
            )
            .retry_policy(ExponentialJitter { base: config.retry_base, max: config.retry_max })
            .job_timeout(config.job_timeout)
            .fetch_cooldown(config.fetch_cooldown)
            .maintenance(
                MaintenanceConfig::default()
                    .with_rescue_after(config.rescue_after)
                    // Dead jobs stay inspectable and retryable for a quarter.
                    .with_discarded_job_retention(Retention::DeleteAfter(Duration::from_secs(90 * 86_400))),
            )
            .periodic_job(PeriodicJob::with_options(
                schedule()?,
                || PurgeSessions {},
                PeriodicJobOpts::new().with_id("purge_sessions"),
            ))
            .periodic_job(PeriodicJob::with_options(
                schedule()?,
                || recalls::RecallSweep {},
                PeriodicJobOpts::new().with_id("recall_sweep"),
            ))
            .periodic_job(PeriodicJob::with_options(
                schedule()?,
                || reminders::ReminderSweep {},
                PeriodicJobOpts::new().with_id("reminder_sweep"),
            ))
            .periodic_job(PeriodicJob::with_options(
                CronSchedule::parse("* * * * *").map_err(|e| Error::Internal(e.to_string()))?,
                || plugins::PluginSchedules {},
                PeriodicJobOpts::new().with_id("plugin_schedules"),
            ))
            .periodic_job(PeriodicJob::with_options(
                CronSchedule::parse("* * * * *").map_err(|e| Error::Internal(e.to_string()))?,
                || ReportSchedules {},
                PeriodicJobOpts::new().with_id("report_schedules"),
            ))
            .periodic_job(PeriodicJob::with_options(
                privacy_schedule()?,
                || privacy::RetentionSweep {},
                PeriodicJobOpts::new().with_id("retention_sweep"),
            ))
            .periodic_job(PeriodicJob::with_options(
                privacy_schedule()?,
                || privacy::AuditPurge {},
                PeriodicJobOpts::new().with_id("audit_purge"),
            ))
            .build()
            .map_err(queue_error)?;
        let handle = client.start().map_err(queue_error)?;
        let (db, consumers) = relay_with;
        let relay = ils_outbox::relay::Relay::start(db, consumers, relay);
        Ok(Self { handle, relay })
    }

    /// Events this process's relay handed to their consumers so far.
    pub fn relayed(&self) -> u64 {
        self.relay.relayed()
    }

    /// Stops relaying and fetching, lets the batch and the jobs in progress finish, and returns.
    pub async fn stop(mut self) {
        self.relay.stop().await;
        if let Err(error) = self.handle.stop().await {
            tracing::warn!(%error, "job runner stopped with an error");
        }
    }
}

/// Who reacts to committed events, in order: webhook endpoints, e-mail (when SMTP is configured)
/// and plugins. The outbox knows none of them; this is where they are registered.
fn consumers(state: &AppState) -> Consumers {
    let delivery_attempts = state.config.jobs.delivery_attempts;
    let mut consumers = Consumers::new().with(ils_webhooks::Dispatch { delivery_attempts });
    if state.mailer.is_some() {
        consumers = consumers.with(crate::notify::Notices { delivery_attempts });
        consumers = consumers.with(reminders::ReadyNotices { delivery_attempts });
    }
    consumers.with(plugins::FanOut { plugins: state.plugins.clone(), delivery_attempts })
}

async fn purge_sessions(state: &AppState) -> Result<WorkOutcome, BoxError> {
    let cutoff = ils_storage::types::Timestamp::now().minus(state.config.jobs.session_retention);
    let mut tx = state.db.system().await?;
    let removed = ils_storage::execute!(tx.conn(), "DELETE FROM sessions WHERE expires_at < $1", cutoff)?;
    tx.commit().await?;
    tracing::info!(removed, "purged old sessions");
    Ok(WorkOutcome::Complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        let policy = ExponentialJitter { base: Duration::from_secs(1), max: Duration::from_secs(60) };
        for (errors, full) in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (30, 60)] {
            let delay = policy.delay(errors);
            let full = Duration::from_secs(full);
            assert!(
                delay >= full / 2 && delay <= full,
                "{errors} errors: {delay:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
        let delays: std::collections::HashSet<_> = (0..20).map(|_| policy.delay(5)).collect();
        assert!(delays.len() > 1, "jitter varies the delay");
    }
}
