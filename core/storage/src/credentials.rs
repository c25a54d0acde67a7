//! When credentials last changed: a counter that moves whenever something a request's principal
//! is resolved from — a session, an API key, a membership, a tenant's status, a user — may have
//! changed, so a cache of resolved principals (`ils_tenancy::auth::Principals`) can drop what it
//! holds at once.
//!
//! It moves on this node when a transaction that [marked](crate::TenantTx::credentials_changed)
//! such a change commits — before the commit returns, so the next request on this node already
//! sees it. On PostgreSQL, triggers on those tables `NOTIFY ils_credentials` (migration 0023) and
//! every node listens, so it moves on the others too, whichever process or tool made the change.
//! While the listening connection is down a node's cache is off ([`CredentialsEpoch::current`]
//! says `None`), and it moves again when listening resumes, as anything may have changed between.
//! SQLite serves one process, so the local count is the whole story there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

/// The channel the triggers notify.
pub const CHANNEL: &str = "ils_credentials";

/// A counter of credential changes, and whether it can be trusted right now.
#[derive(Debug)]
pub struct CredentialsEpoch {
    value: AtomicU64,
    /// False while a PostgreSQL node is not listening (changes on other nodes would be missed).
    trusted: AtomicBool,
    listener: std::sync::OnceLock<tokio::sync::watch::Sender<()>>,
    side: Option<PgPool>,
}

impl CredentialsEpoch {
    pub(crate) fn new(side: Option<PgPool>) -> Self {
        Self {
            value: AtomicU64::new(0),
            trusted: AtomicBool::new(side.is_none()),
            listener: std::sync::OnceLock::new(),
            side,
        }
    }

    /// The current count, or `None` when changes elsewhere might go unseen (nothing may be
    /// cached then). The first call on PostgreSQL starts listening.
    pub fn current(self: &Arc<Self>) -> Option<u64> {
        if let Some(side) = &self.side {
            self.listener.get_or_init(|| {
                let (stop, stopped) = tokio::sync::watch::channel(());
                tokio::spawn(listen(Arc::downgrade(self), side.clone(), stopped));
                stop
            });
        }
        self.trusted.load(Ordering::Acquire).then(|| self.value.load(Ordering::Acquire))
    }

    /// Records that credentials changed: whatever was read before is stale.
    pub fn bump(&self) {
        self.value.fetch_add(1, Ordering::AcqRel);
    }
}

/// Listens for other nodes' changes until the epoch is dropped (its `watch` sender with it) or
/// the pool is closed.
async fn listen(
    epoch: std::sync::Weak<CredentialsEpoch>,
    side: PgPool,
    mut stopped: tokio::sync::watch::Receiver<()>,
) {
    // However the task ends (stopped, or its runtime shut down), nothing is cached after it.
    let _untrust = Untrust(epoch.clone());
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&side).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            _ = stopped.changed() => return,
            connected = connected => match connected {
                Ok(listener) => listener,
                Err(_) if side.is_closed() => return,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for credential changes; principals are not cached");
                    tokio::select! {
                        _ = stopped.changed() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        let Some(live) = epoch.upgrade() else { return };
        // Anything may have changed while no one listened.
        live.bump();
        live.trusted.store(true, Ordering::Release);
        drop(live);
        loop {
            let received = tokio::select! {
                _ = stopped.changed() => return,
                received = listener.try_recv() => received,
            };
            let Some(live) = epoch.upgrade() else { return };
            match received {
                Ok(Some(_)) => live.bump(),
                Ok(None) | Err(_) => {
                    live.trusted.store(false, Ordering::Release);
                    live.bump();
                    break;
                }
            }
        }
    }
}

/// Turns the cache off when the listening task ends.
struct Untrust(std::sync::Weak<CredentialsEpoch>);

impl Drop for Untrust {
    fn drop(&mut self) {
        if let Some(epoch) = self.0.upgrade() {
            epoch.trusted.store(false, Ordering::Release);
            epoch.bump();
        }
    }
}
