//! The durable job queue's side of the outbox (River, on the same database: see
//! docs/adr/006-job-queue.md). Jobs are inserted in the transaction of the change that causes
//! them, so they exist exactly when the change does. Which workers run them is the composition
//! root's business; this module only queues.

use riverqueue::{InsertOpts, JobArgs};
use serde::{Deserialize, Serialize};

use ils_kernel::{Error, Result};
use ils_storage::ids::{EventId, TenantId};
use ils_storage::{Conn, DbError};

use crate::Envelope;

/// Fan an event out to its consumers.
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

/// Queues the dispatch of `event` inside the transaction that records it.
pub(crate) async fn enqueue_dispatch(
    conn: &mut Conn,
    jobs: &riverqueue::Client,
    event: &Envelope,
) -> Result<()> {
    let args = DispatchEvent { tenant_id: event.tenant_id, event_id: event.id };
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
