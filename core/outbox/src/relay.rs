//! The outbox relay: hands committed events to their consumers, many events per transaction
//! (docs/adr/035-outbox-relay.md).
//!
//! [`crate::emit`] writes the event and a row in `outbox_pending` in the change's transaction.
//! A relay claims pending rows in batches — on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so the
//! relays of several processes share the work — and, in one transaction per batch, loads the
//! events, lets every consumer queue its jobs for each (switching the transaction's tenant with
//! [`TenantTx::act_for`]), deletes the claimed rows and commits. A batch that fails is rolled back
//! whole and claimed again after a short backoff: nothing is lost, and the consumers' jobs are
//! unique by their arguments, so a retry queues nothing twice. An event that keeps failing on its
//! own is handed to the job queue as a `dispatch_event` job, which retries it with the queue's
//! backoff and, in the end, keeps it as a dead job an administrator can see.
//!
//! A relay wakes as soon as a [`UnitOfWork`](crate::UnitOfWork) of this process commits (or when
//! [`wake`] is called), and otherwise polls every [`RelayConfig::poll`]: events committed by
//! other processes, or outside a unit of work, wait at most that long.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use ils_kernel::{Error, Result};
use ils_storage::ids::{EventId, TenantId};
use ils_storage::{Conn, Db, TenantTx, on_conn};

use crate::Consumers;

/// How a relay works.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Most events handed to consumers in one transaction.
    pub batch: usize,
    /// Longest wait for events nobody woke the relay for (another process's, or committed
    /// outside a unit of work).
    pub poll: Duration,
    /// Batches relayed at once by this process (PostgreSQL only; SQLite has one writer).
    pub concurrency: usize,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self { batch: 200, poll: Duration::from_millis(100), concurrency: 2 }
    }
}

/// First pause after a failed batch; it doubles with each failure in a row, up to [`RETRY_MAX`].
const RETRY_BASE: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(10);
/// Failures in a row after which the relay takes events one at a time, to find the one that
/// fails and hand it to the job queue instead of retrying the whole batch forever.
const ISOLATE_AFTER: u32 = 3;

/// Every relay of this process, by the id of its database's job client (one per [`Db`]), so a
/// commit wakes the relay of its own database only.
static RELAYS: LazyLock<Mutex<HashMap<String, Weak<Notify>>>> = LazyLock::new(Default::default);

fn relays() -> std::sync::MutexGuard<'static, HashMap<String, Weak<Notify>>> {
    RELAYS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The bell of `jobs`'s database's relay in this process, if one runs.
pub(crate) fn bell(jobs: &riverqueue::Client) -> Option<Arc<Notify>> {
    relays().get(jobs.id()).and_then(Weak::upgrade)
}

/// Wakes this process's relay for `db` at once. For code that committed events outside a
/// [`UnitOfWork`](crate::UnitOfWork) (which rings by itself); without it they wait for the poll.
pub fn wake(db: &Db) {
    if let Some(bell) = bell(db.jobs()) {
        bell.notify_one();
    }
}

/// The relay tasks of one process for one database, running until [`Relay::stop`].
#[derive(Debug)]
pub struct Relay {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    relayed: Arc<AtomicU64>,
}

impl Relay {
    /// Starts relaying `db`'s pending events to `consumers`.
    pub fn start(db: Db, consumers: Consumers, config: RelayConfig) -> Self {
        let bell = Arc::new(Notify::new());
        {
            let mut relays = relays();
            relays.retain(|_, bell| bell.strong_count() > 0);
            relays.insert(db.jobs().id().to_owned(), Arc::downgrade(&bell));
        }
        // Pending rows left by a process that stopped, and anything committed before the start.
        bell.notify_one();
        let (stop, stopped) = watch::channel(false);
        let relayed = Arc::new(AtomicU64::new(0));
        let concurrency = match db.backend() {
            ils_storage::Backend::Sqlite => 1,
            ils_storage::Backend::Postgres => config.concurrency.max(1),
        };
        let worker = Worker { db, consumers, config, bell, relayed: relayed.clone() };
        let tasks = (0..concurrency).map(|_| tokio::spawn(worker.clone().run(stopped.clone()))).collect();
        Self { stop, tasks, relayed }
    }

    /// Events this relay handed to their consumers so far.
    pub fn relayed(&self) -> u64 {
        self.relayed.load(Ordering::Relaxed)
    }

    /// Lets the batches in progress finish, then stops.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::warn!(%error, "outbox relay task ended abnormally");
            }
        }
    }
}

#[derive(Clone)]
struct Worker {
    db: Db,
    consumers: Consumers,
    config: RelayConfig,
    bell: Arc<Notify>,
    relayed: Arc<AtomicU64>,
}

/// A batch that failed, with the events it had claimed.
struct Failed {
    error: Error,
    claimed: Vec<Pending>,
}

#[derive(Clone, Copy, Debug, sqlx::FromRow)]
struct Pending {
    event_id: EventId,
    tenant_id: TenantId,
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let mut failures = 0u32;
        // After repeated failures: how many events to take one at a time.
        let mut singly = 0usize;
        loop {
            if *stopped.borrow() {
                return;
            }
            let size = if singly > 0 { 1 } else { self.config.batch.max(1) };
            let pause = match self.batch(size).await {
                Ok(n) => {
                    failures = 0;
                    singly = if n == 0 { 0 } else { singly.saturating_sub(n) };
                    self.relayed.fetch_add(n as u64, Ordering::Relaxed);
                    if n == size {
                        continue; // More may be waiting.
                    }
                    None
                }
                Err(Failed { error, claimed }) if size == 1 && !claimed.is_empty() => {
                    tracing::warn!(%error, event_id = %claimed[0].event_id, "an event failed on its own; handing it to the job queue");
                    match self.hand_off(claimed[0]).await {
                        Ok(()) => {
                            failures = 0;
                            singly = singly.saturating_sub(1);
                            continue;
                        }
                        Err(error) => {
                            failures += 1;
                            tracing::warn!(%error, "handing a failing event to the job queue failed; retrying");
                            Some(backoff(failures))
                        }
                    }
                }
                Err(Failed { error, claimed }) => {
                    failures += 1;
                    tracing::warn!(%error, events = claimed.len(), failures, "outbox batch failed; retrying");
                    if failures >= ISOLATE_AFTER && claimed.len() > 1 {
                        singly = claimed.len();
                    }
                    Some(backoff(failures))
                }
            };
            tokio::select! {
                // A dropped `Relay` stops its tasks too.
                changed = stopped.changed() => if changed.is_err() {
                    return;
                },
                () = self.bell.notified(), if pause.is_none() => {}
                () = tokio::time::sleep(pause.unwrap_or(self.config.poll)) => {}
            }
        }
    }

    /// Claims up to `size` pending events and relays them in one transaction; the number relayed.
    async fn batch(&self, size: usize) -> std::result::Result<usize, Failed> {
        // Idle, one statement outside a transaction: no BEGIN, claim and ROLLBACK every poll, and
        // on SQLite the single writer is not taken for nothing.
        let any =
            self.db.exists("SELECT 1 FROM outbox_pending LIMIT 1").await.map_err(|e| failed(e.into()))?;
        if !any {
            return Ok(0);
        }
        let mut tx = self.db.tenant(nobody()).await.map_err(|e| failed(e.into()))?;
        let claimed = claim(&mut tx, size).await.map_err(failed)?;
        if claimed.is_empty() {
            return Ok(0);
        }
        match self.relay(tx, &claimed).await {
            Ok(()) => Ok(claimed.len()),
            Err(error) => Err(Failed { error, claimed }),
        }
    }

    /// Hands the claimed events to the consumers, tenant by tenant, and deletes them from the
    /// work list, in `tx`.
    async fn relay(&self, mut tx: TenantTx, claimed: &[Pending]) -> Result<()> {
        let mut by_tenant: Vec<(TenantId, Vec<EventId>)> = Vec::new();
        for pending in claimed {
            match by_tenant.iter_mut().find(|(tenant, _)| *tenant == pending.tenant_id) {
                Some((_, ids)) => ids.push(pending.event_id),
                None => by_tenant.push((pending.tenant_id, vec![pending.event_id])),
            }
        }
        for (tenant, ids) in &by_tenant {
            tx.act_for(*tenant).await?;
            let mut events = crate::store::get_many(&mut tx, ids).await?;
            events.sort_by_key(|e| e.id);
            if events.len() < ids.len() {
                // Only `emit` writes pending rows, beside the event: a bug, not for a retry.
                tracing::error!(tenant = %tenant, missing = ids.len() - events.len(), "pending events not found; dropped");
            }
            for event in &events {
                self.consumers.run(&mut tx, event).await?;
            }
        }
        let ids: Vec<EventId> = claimed.iter().map(|p| p.event_id).collect();
        delete(tx.conn(), &ids).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves one pending event to the job queue as a `dispatch_event` job, which retries it
    /// with backoff and keeps it as a dead job in the end.
    async fn hand_off(&self, pending: Pending) -> Result<()> {
        let mut tx = self.db.tenant(pending.tenant_id).await?;
        let mine = delete(tx.conn(), &[pending.event_id]).await? == 1;
        if mine {
            let (conn, jobs) = tx.with_jobs();
            crate::queue::enqueue_dispatch(conn, jobs, pending.tenant_id, pending.event_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The batch transaction acts for no tenant until it switches to the first claimed event's.
fn nobody() -> TenantId {
    TenantId::from(uuid::Uuid::nil())
}

fn failed(error: Error) -> Failed {
    Failed { error, claimed: Vec::new() }
}

/// The pause after `failures` failed batches in a row.
fn backoff(failures: u32) -> Duration {
    RETRY_BASE.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16))).min(RETRY_MAX)
}

/// The oldest `size` pending events no other relay holds, locked until `tx` ends.
async fn claim(tx: &mut TenantTx, size: usize) -> Result<Vec<Pending>> {
    const SQLITE: &str = "SELECT event_id, tenant_id FROM outbox_pending ORDER BY event_id LIMIT $1";
    const POSTGRES: &str = "SELECT event_id, tenant_id FROM outbox_pending ORDER BY event_id LIMIT $1
        FOR UPDATE SKIP LOCKED";
    let limit = i64::try_from(size).unwrap_or(i64::MAX);
    let rows = match tx.conn() {
        Conn::Sqlite(c) => sqlx::query_as(SQLITE).bind(limit).fetch_all(&mut **c).await,
        Conn::Postgres(c) => sqlx::query_as(POSTGRES).bind(limit).fetch_all(&mut **c).await,
    }
    .map_err(ils_storage::DbError::from)?;
    Ok(rows)
}

/// Deletes `ids` from the work list; the number deleted.
async fn delete(conn: &mut Conn, ids: &[EventId]) -> Result<u64> {
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!("DELETE FROM outbox_pending WHERE event_id IN ({})", placeholders.join(", "));
    let deleted = on_conn!(conn, c => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        query.execute(&mut **c).await.map(|r| r.rows_affected())
    })
    .map_err(ils_storage::DbError::from)?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(2), Duration::from_millis(200));
        assert_eq!(backoff(4), Duration::from_millis(800));
        assert_eq!(backoff(30), RETRY_MAX);
    }
}
