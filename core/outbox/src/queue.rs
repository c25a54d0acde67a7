//! The durable job queue's side of the outbox (River, on the same database: see
//! docs/adr/006-job-queue.md). Consumers insert their jobs in the relay's transaction, so they
//! exist exactly when the event was handed over. Which workers run them is the composition
//! root's business; this module only queues.

use riverqueue::{InsertOpts, JobArgs};
use serde::{Deserialize, Serialize};

use ils_kernel::{Error, Result};
use ils_storage::ids::{EventId, TenantId};
use ils_storage::{Conn, DbError};

/// Fan one event out to its consumers. The outbox relay (`crate::relay`) does this for batches of
/// events; this job remains for an event that failed on its own in the relay (the queue then
/// retries it with backoff and keeps it as a dead job in the end) and for jobs queued by a
/// version before the relay.
#[derive(Clone, Debug, Serialize, Deserialize, JobArgs)]
#[river(kind = "dispatch_event", max_attempts = 25, unique(by_args))]
pub struct DispatchEvent {
    /// The tenant the event belongs to.
    pub tenant_id: TenantId,
    /// The outbox event to fan out. The job is unique by its arguments, so queueing the same event twice
    /// makes one job.
    pub event_id: EventId,
}

/// A queue failure as a domain error (storage: the queue lives in the database).
pub fn queue_error(e: riverqueue::Error) -> Error {
    Error::Db(DbError::Jobs(e.to_string()))
}

/// Queues the dispatch of one event as a job, inside the transaction behind `conn`.
pub(crate) async fn enqueue_dispatch(
    conn: &mut Conn,
    jobs: &riverqueue::Client,
    tenant_id: TenantId,
    event_id: EventId,
) -> Result<()> {
    let args = DispatchEvent { tenant_id, event_id };
    match conn {
        Conn::Sqlite(tx) => jobs.insert(args).tx(tx).await,
        Conn::Postgres(tx) => jobs.insert(args).tx(tx).await,
    }
    .map_err(queue_error)?;
    Ok(())
}

/// Inserts `args` with `opts` inside the transaction behind `conn`. Returns false when a
/// unique job with the same arguments already exists (pending, running or completed), so
/// nothing new was queued.
pub async fn enqueue<A: JobArgs>(
    conn: &mut Conn,
    jobs: &riverqueue::Client,
    args: A,
    opts: InsertOpts,
) -> Result<bool> {
    let inserted = match conn {
        Conn::Sqlite(tx) => jobs.insert(args).opts(opts).tx(tx).await,
        Conn::Postgres(tx) => jobs.insert(args).opts(opts).tx(tx).await,
    }
    .map_err(queue_error)?;
    Ok(!inserted.unique_skipped_as_duplicate)
}
