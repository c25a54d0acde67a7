//! Resolved principals, cached until credentials change.
//!
//! Resolving a bearer token reads the session or key with its user, membership and tenant: a
//! transaction of its own on every request. [`Principals`] keeps what it read, keyed by the
//! token's hash, for as long as the database's [credentials epoch](ils_storage::CredentialsEpoch)
//! stays where it was when the read began. Every change that could alter a principal — a
//! revocation, a sign-out, a role or membership change, a suspension, a password change —
//! moves the epoch before its transaction's commit returns on this node, and through
//! `NOTIFY ils_credentials` on every other node (PostgreSQL), so a revoked token is refused by
//! the very next request. On top of that an entry is read again after [`MAX_AGE`], and never
//! outlives its session's or key's expiry. See docs/adr/034-fast-orders.md.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ils_kernel::Result;
use ils_kernel::secrets;
use ils_storage::Db;
use ils_storage::types::Timestamp;

use super::Principal;
use super::store::{self, Resolved};

/// The longest a cached principal is served without reading it again.
pub const MAX_AGE: Duration = Duration::from_secs(60);
/// The most tokens held; past it the cache starts afresh.
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    resolved: Resolved,
    read_at: Instant,
}

#[derive(Default)]
struct Cache {
    /// The epoch the entries were read at.
    epoch: u64,
    entries: HashMap<Vec<u8>, Entry>,
}

/// Resolves bearer tokens to principals, caching them until credentials change: see
/// docs/adr/034-fast-orders.md.
pub struct Principals {
    db: Db,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Principals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principals").finish_non_exhaustive()
    }
}

impl Principals {
    /// An empty cache over `db`.
    pub fn new(db: Db) -> Self {
        Self { db, cache: Mutex::new(Cache::default()) }
    }

    /// The caller `token` stands for right now, if it is valid. Long-lived responses (the event
    /// stream) call this again to stop serving a revoked session or key.
    pub async fn resolve(&self, token: &str) -> Result<Option<Principal>> {
        let is_session = token.starts_with(secrets::SESSION_PREFIX);
        if !is_session && !token.starts_with(secrets::API_KEY_PREFIX) {
            return Ok(None);
        }
        let hash = secrets::token_hash(token);
        let now = Timestamp::now();
        let epoch = self.db.credentials().current();
        if let Some(epoch) = epoch
            && let Some((principal, touch_due)) = self.cached(&hash, epoch, now)
        {
            if touch_due {
                store::touch(&self.db, &principal, now).await?;
                self.touched(&hash, now);
            }
            return Ok(Some(principal));
        }
        let resolved = if is_session {
            store::resolve_session(&self.db, &hash, now).await?
        } else {
            store::resolve_api_key(&self.db, &hash, now).await?
        };
        let Some(mut resolved) = resolved else { return Ok(None) };
        if resolved.touch_due(now) {
            store::touch(&self.db, &resolved.principal, now).await?;
            resolved.touched_at = Some(now);
        }
        let principal = resolved.principal.clone();
        // Kept only if nothing changed since the read began: a change that committed meanwhile
        // moved the epoch, and what was read may predate it.
        if let Some(epoch) = epoch
            && self.db.credentials().current() == Some(epoch)
        {
            let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if cache.epoch != epoch || cache.entries.len() >= MAX_ENTRIES {
                cache.entries.clear();
                cache.epoch = epoch;
            }
            cache.entries.insert(hash, Entry { resolved, read_at: Instant::now() });
        }
        Ok(Some(principal))
    }

    /// A live cached principal for `hash`, and whether its use is due to be recorded.
    fn cached(&self, hash: &[u8], epoch: u64, now: Timestamp) -> Option<(Principal, bool)> {
        let cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.epoch != epoch {
            return None;
        }
        let entry = cache.entries.get(hash)?;
        let expired = entry.resolved.expires_at.is_some_and(|at| at <= now);
        if expired || entry.read_at.elapsed() > MAX_AGE {
            return None;
        }
        Some((entry.resolved.principal.clone(), entry.resolved.touch_due(now)))
    }

    fn touched(&self, hash: &[u8], now: Timestamp) {
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = cache.entries.get_mut(hash) {
            entry.resolved.touched_at = Some(now);
        }
    }
}
