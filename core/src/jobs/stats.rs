//! The job queue at a glance, for `/metrics`: how many jobs of each kind wait, run, wait for a
//! retry, or are dead. Read from the queue's table when scraped, so every `ils serve` sharing
//! the database reports the same numbers.

use std::collections::BTreeMap;

use ils_kernel::error::Result;
use ils_storage::{Db, query};

/// Where a job is in its life, as the metrics tell it (River's states, grouped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueueState {
    /// Waiting for its time or a free worker (`available`, `scheduled`, `pending`).
    Queued,
    /// Being worked now.
    Running,
    /// Failed, and will be tried again (`retryable`).
    Retryable,
    /// Out of attempts (`discarded`): kept for inspection and a manual retry.
    Dead,
}

impl QueueState {
    /// Every state, in a stable order.
    pub const ALL: [QueueState; 4] = [Self::Queued, Self::Running, Self::Retryable, Self::Dead];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Retryable => "retryable",
            Self::Dead => "dead",
        }
    }

    fn of_river(state: &str) -> Option<Self> {
        match state {
            "available" | "scheduled" | "pending" => Some(Self::Queued),
            "running" => Some(Self::Running),
            "retryable" => Some(Self::Retryable),
            "discarded" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// How many jobs of one kind are in one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobCount {
    /// The job kind.
    pub kind: String,
    /// The state.
    pub state: QueueState,
    /// How many.
    pub jobs: i64,
}

/// The count for every kind with a job in the queue (finished ones aside) and every state,
/// zeros included, so a kind's series do not come and go as its jobs do.
pub async fn queue_counts(db: &Db) -> Result<Vec<JobCount>> {
    // The state is an enum on PostgreSQL and text on SQLite; CAST reads both as text.
    const SQL: &str = "SELECT kind, CAST(state AS TEXT), COUNT(*) FROM river_job
        WHERE state IN ('available', 'scheduled', 'pending', 'running', 'retryable', 'discarded')
        GROUP BY kind, state";
    let mut tx = db.system_read().await?;
    let rows: Vec<(String, String, i64)> = query!(tx, query_as, fetch_all, SQL)?;
    tx.commit().await?;
    let mut counts: BTreeMap<(String, QueueState), i64> = BTreeMap::new();
    for (kind, state, jobs) in rows {
        let Some(state) = QueueState::of_river(&state) else { continue };
        for each in QueueState::ALL {
            counts.entry((kind.clone(), each)).or_insert(0);
        }
        *counts.entry((kind, state)).or_insert(0) += jobs;
    }
    Ok(counts.into_iter().map(|((kind, state), jobs)| JobCount { kind, state, jobs }).collect())
}
