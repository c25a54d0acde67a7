//! Privacy's daily jobs (docs/adr/039-privacy.md): the retention sweep (restrict patients past
//! their retention date, erase them after the grace) and the audit purge (archive, then delete,
//! entries past the audit retention).

use riverqueue::{BoxError, Job, JobArgs, WorkContext, WorkOutcome, Workers};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use ils_kernel::error::Result;
use ils_storage::types::Timestamp;

/// Restrict, then erase, patients past their retention date.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "retention_sweep")]
pub struct RetentionSweep {}

/// Archive and delete audit entries older than the audit retention.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "audit_purge")]
pub struct AuditPurge {}

/// Adds the two workers.
pub(crate) fn register(workers: &mut Workers, state: &AppState) -> Result<()> {
    let sweep = state.clone();
    workers
        .add_fn(move |_: WorkContext, _: Job<RetentionSweep>| {
            let state = sweep.clone();
            async move { retention_sweep(&state).await }
        })
        .map_err(super::queue_error)?;
    let purge = state.clone();
    workers
        .add_fn(move |_: WorkContext, _: Job<AuditPurge>| {
            let state = purge.clone();
            async move { audit_purge(&state).await }
        })
        .map_err(super::queue_error)?;
    Ok(())
}

async fn retention_sweep(state: &AppState) -> std::result::Result<WorkOutcome, BoxError> {
    let grace = state.config.privacy.erasure_grace_days;
    state.privacy.sweep(ils_clinical::today(), grace).await?;
    Ok(WorkOutcome::Complete)
}

async fn audit_purge(state: &AppState) -> std::result::Result<WorkOutcome, BoxError> {
    let settings = &state.config.privacy;
    let Some(dir) = &settings.audit_archive_dir else {
        tracing::debug!("no audit archive directory: audit entries are kept");
        return Ok(WorkOutcome::Complete);
    };
    let cutoff = ils_privacy::audit_retention::cutoff(Timestamp::now(), settings.audit_retention_years);
    ils_privacy::audit_retention::purge(&state.db, dir, cutoff).await?;
    Ok(WorkOutcome::Complete)
}
