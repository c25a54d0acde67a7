//! The run in progress — a full sync or a reconciliation — kept in kv under `run/current` while
//! it is done in slices ([`super::steps`]), one per `sync_step` event.
//!
//! There is one run at a time: starting another while one runs answers [`Started::Busy`], unless
//! the running one made no progress for [`STALE_AFTER_MS`] (its chain of events broke), when it
//! is replaced and its report stored as stopped. The record carries the step number the next
//! `sync_step` must name; a step is claimed by one compare-and-set from the record it read to the
//! one it leaves, so of two deliveries of the same step only one moves the run on.

use ils_plugin_sdk::host::{events, kv};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::admin::Pacing;
use super::error::GlueError;
use super::status::{self, ReconcileReport, SyncReport};

/// The kind the plugin publishes its steps as (the host prefixes `plugin.shopify_sync.`).
pub const STEP_KIND: &str = "sync_step";
/// A run that made no progress for this long (Unix ms) may be replaced.
pub const STALE_AFTER_MS: i64 = 10 * 60 * 1000;
const CURRENT: &str = "run/current";

/// A run's id: `sync-{ms}` or `reconcile-{ms}`. It keys the run's pushes (idempotency keys), so a
/// step repeated sets nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub String);

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// Bulk export → match → push every matched item.
    Sync,
    /// Re-match the stored export → read every matched item's levels → fix drift.
    Reconcile,
}

impl RunKind {
    fn name(self) -> &'static str {
        match self {
            RunKind::Sync => "sync",
            RunKind::Reconcile => "reconcile",
        }
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Start the bulk export (sync).
    Export,
    /// Poll the bulk export, once a step (sync).
    Poll,
    /// Download the export and match it (sync), or re-match the stored one (reconcile).
    Match,
    /// Push, or check and fix, the matched items a slice at a time.
    Push,
}

impl Phase {
    /// Whether a run may go from `self` to `next`.
    pub fn can_move_to(self, next: Phase) -> bool {
        matches!(
            (self, next),
            (Phase::Export, Phase::Poll)
                | (Phase::Poll, Phase::Poll | Phase::Match)
                | (Phase::Match, Phase::Push)
                | (Phase::Push, Phase::Push)
        )
    }
}

/// The report a run fills in as it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunReport {
    /// A full sync's.
    Sync(SyncReport),
    /// A reconciliation's.
    Reconcile(ReconcileReport),
}

/// `run/current`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Its id.
    pub id: RunId,
    /// Sync or reconcile.
    pub kind: RunKind,
    /// Where it is.
    pub phase: Phase,
    /// The step the next `sync_step` names.
    pub step: u64,
    /// When it started (Unix ms).
    pub started_at_ms: i64,
    /// When a step last moved it on (Unix ms).
    pub progressed_at_ms: i64,
    /// The bulk operation, once started (sync).
    pub bulk_operation: Option<String>,
    /// Polls of it so far.
    pub polls: u32,
    /// The export's file, once completed (none for an empty shop).
    pub export_url: Option<String>,
    /// The SKU of the last matched item done; items go in SKU order.
    pub cursor: Option<String>,
    /// Matched items done.
    pub done: usize,
    /// Matched items to do.
    pub total: usize,
    /// The Admin client's bucket and THROTTLED attempts, handed from step to step.
    pub pacing: Pacing,
    /// The report so far.
    pub report: RunReport,
}

/// One `sync_step` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The run it belongs to.
    pub run: RunId,
    /// Which of its steps.
    pub step: u64,
}

impl Run {
    /// A new run of `kind`, started at `now_ms`.
    pub fn new(kind: RunKind, id: RunId, now_ms: i64) -> Self {
        let (phase, report) = match kind {
            RunKind::Sync => {
                (Phase::Export, RunReport::Sync(SyncReport { at_ms: now_ms, ..SyncReport::default() }))
            }
            RunKind::Reconcile => (
                Phase::Match,
                RunReport::Reconcile(ReconcileReport { at_ms: now_ms, ..ReconcileReport::default() }),
            ),
        };
        Self {
            id,
            kind,
            phase,
            step: 0,
            started_at_ms: now_ms,
            progressed_at_ms: now_ms,
            bulk_operation: None,
            polls: 0,
            export_url: None,
            cursor: None,
            done: 0,
            total: 0,
            pacing: Pacing::default(),
            report,
        }
    }

    /// Moves to `next`, if the phases allow it.
    pub fn enter(&mut self, next: Phase) -> Result<(), GlueError> {
        if !self.phase.can_move_to(next) {
            return Err(GlueError::Invalid(format!("a run cannot go from {:?} to {next:?}", self.phase)));
        }
        self.phase = next;
        Ok(())
    }

    /// Whether it made no progress for [`STALE_AFTER_MS`].
    pub fn is_stale(&self, now_ms: i64) -> bool {
        now_ms - self.progressed_at_ms > STALE_AFTER_MS
    }

    /// The `sync_step` that carries it on.
    pub fn next_step(&self) -> Step {
        Step { run: self.id.clone(), step: self.step }
    }

    /// What the routes and `GET /status` show of it.
    pub fn summary(&self) -> Value {
        json!({
            "id": self.id,
            "kind": self.kind,
            "phase": self.phase,
            "started_at_ms": self.started_at_ms,
            "progressed_at_ms": self.progressed_at_ms,
            "progress": { "done": self.done, "total": self.total },
        })
    }

    /// Stores its report as the last of its kind, stopped by `why` unless `why` is `None`.
    pub fn finish(mut self, now_ms: i64, why: Option<String>) -> Result<(), GlueError> {
        let label = match self.kind {
            RunKind::Sync => "full sync",
            RunKind::Reconcile => "reconciliation",
        };
        if let Some(why) = &why {
            status::error(&format!("{label} stopped: {why}"));
        }
        match &mut self.report {
            RunReport::Sync(report) => {
                report.completed = why.is_none();
                report.stopped = why;
                report.finished_at_ms = Some(now_ms);
                status::save_sync(report)
            }
            RunReport::Reconcile(report) => {
                report.completed = why.is_none();
                report.stopped = why;
                report.finished_at_ms = Some(now_ms);
                status::save_reconcile(report)
            }
        }
    }
}

/// `run/current` as read: the bytes to compare-and-set against, and the run.
#[derive(Debug)]
pub struct Stored {
    /// The bytes read.
    pub raw: Vec<u8>,
    /// The run; `None` if unreadable, which counts as a run long stale.
    pub run: Option<Run>,
}

/// The run in progress, if any.
pub fn current() -> Result<Option<Stored>, GlueError> {
    Ok(kv::get(CURRENT)?.map(|raw| {
        let run = serde_json::from_slice(&raw).ok();
        Stored { raw, run }
    }))
}

/// The run in progress and not stale at `now_ms`.
pub fn running(now_ms: i64) -> Result<Option<Run>, GlueError> {
    Ok(current()?.and_then(|s| s.run).filter(|run| !run.is_stale(now_ms)))
}

/// Replaces the record read as `old` by `run` (or removes it); false if another invocation
/// changed it since.
pub fn replace(old: &[u8], run: Option<&Run>) -> Result<bool, GlueError> {
    let new = run.map(serde_json::to_vec).transpose().map_err(|e| GlueError::Invalid(e.to_string()))?;
    Ok(kv::compare_and_set(CURRENT, Some(old), new.as_deref())?)
}

/// The answer of [`start`].
#[derive(Debug)]
pub enum Started {
    /// Started; its first step is published.
    New(Run),
    /// Another run is in progress.
    Busy(Run),
}

/// Starts a run of `kind` with `id`, unless one is in progress, and publishes its first step.
pub fn start(kind: RunKind, id: RunId, now_ms: i64) -> Result<Started, GlueError> {
    let run = Run::new(kind, id, now_ms);
    let bytes = serde_json::to_vec(&run).map_err(|e| GlueError::Invalid(e.to_string()))?;
    let old = current()?;
    if let Some(running) = old.as_ref().and_then(|s| s.run.as_ref()).filter(|r| !r.is_stale(now_ms)) {
        return Ok(Started::Busy(running.clone()));
    }
    let old_raw = old.as_ref().map(|s| s.raw.as_slice());
    if !kv::compare_and_set(CURRENT, old_raw, Some(&bytes))? {
        // Another start won the race.
        return match current()?.and_then(|s| s.run) {
            Some(running) => Ok(Started::Busy(running)),
            None => Err(GlueError::Conflict("the run in progress")),
        };
    }
    if let Some(stale) = old.and_then(|s| s.run) {
        let why = format!("no progress for {} minutes; replaced by {}", STALE_AFTER_MS / 60_000, run.id);
        stale.finish(now_ms, Some(why))?;
    }
    if let Err(e) = events::publish(STEP_KIND, &run.next_step()) {
        // Without its first step the run would only wait to go stale.
        kv::compare_and_set(CURRENT, Some(&bytes), None)?;
        return Err(e.into());
    }
    Ok(Started::New(run))
}

/// A run id for `kind` at `at_ms`.
pub fn id(kind: RunKind, at_ms: i64) -> RunId {
    RunId(format!("{}-{at_ms}", kind.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_only_go_forward() {
        assert!(Phase::Export.can_move_to(Phase::Poll));
        assert!(Phase::Poll.can_move_to(Phase::Match));
        assert!(Phase::Match.can_move_to(Phase::Push));
        assert!(!Phase::Push.can_move_to(Phase::Export));
        assert!(!Phase::Export.can_move_to(Phase::Push));
        assert!(!Phase::Match.can_move_to(Phase::Poll));
    }

    #[test]
    fn a_run_record_stays_well_under_the_value_limit_with_full_reports() {
        let mut run = Run::new(RunKind::Reconcile, id(RunKind::Reconcile, 1), 1);
        if let RunReport::Reconcile(report) = &mut run.report {
            for n in 0..status::DRIFT_LINES {
                report.drift.push(status::DriftLine {
                    sku: format!("FRAME-{n:05}-BLACK-52-18-140"),
                    shopify_location_id: "24826418".into(),
                    ils_location_id: "0190f5a8-7c1e-7000-8000-000000000001".into(),
                    ils_quantity: 1000,
                    shopify_quantity: 1000,
                    fixed: true,
                });
            }
            for n in 0..200 {
                report
                    .failed
                    .add(format!("FRAME-{n:05}: Shopify's quantity kept changing (stale after 3 re-reads)"));
            }
        }
        assert!(serde_json::to_vec(&run).unwrap().len() < 48 * 1024);
    }
}
