//! Fair shares of this node's job workers (docs/adr/016-fair-queues.md).
//!
//! The queue hands out jobs in order, whoever they belong to, so one tenant's flood to a
//! receiver that never answers could hold every worker while other tenants' deliveries wait
//! behind it. Before a webhook or plugin delivery runs, it takes a [`Slot`] of its tenant's
//! share; a tenant already running its share of that kind of work on this node gets none, and
//! the job is snoozed (put back for a short, jittered, growing while, which costs it no attempt)
//! so the workers go to other tenants' jobs.
//!
//! ```
//! use ils_core::jobs::fair::{FairShare, Work};
//! use ils_storage::ids::TenantId;
//!
//! let share = FairShare::new(8, 2);
//! let (a, b) = (TenantId::new(), TenantId::new());
//! let first = share.try_take(a, Work::Webhook).expect("a slot");
//! let second = share.try_take(a, Work::Webhook).expect("a second slot");
//! assert!(share.try_take(a, Work::Webhook).is_none(), "a third is past a's share");
//! assert!(share.try_take(b, Work::Webhook).is_some(), "b is not held up by a");
//! drop((first, second));
//! assert!(share.try_take(a, Work::Webhook).is_some(), "a slot comes back when its job ends");
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ils_storage::ids::TenantId;

/// The kinds of work a tenant's share is counted for, separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Work {
    /// `deliver_webhook`: one event POSTed to one of the tenant's endpoints.
    Webhook,
    /// `deliver_plugin_event` and `run_plugin_job`: a call into one of the tenant's plugins.
    Plugin,
}

impl Work {
    /// The metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Plugin => "plugin",
        }
    }
}

/// The first snooze of a job turned away; each further one doubles, up to [`SNOOZE_MAX`].
const SNOOZE_BASE: Duration = Duration::from_secs(1);
/// The longest snooze. Growing snoozes keep a backlog of thousands from being fetched and put
/// back several times a second; the cap bounds how long a job waits after its tenant's share
/// frees up.
const SNOOZE_MAX: Duration = Duration::from_secs(60);

/// How long to put back a job turned away for the `snoozes`-th time before (0 the first time):
/// a random time between half and all of `1 s × 2^snoozes`, at most a minute. Jitter spreads
/// a backlog over time instead of bringing it back all at once.
pub fn snooze_for(snoozes: u32) -> Duration {
    let full = SNOOZE_BASE.saturating_mul(2u32.saturating_pow(snoozes.min(16))).min(SNOOZE_MAX);
    full.mul_f64(0.5 + rand::random::<f64>() / 2.0)
}

/// The snooze of a job that cannot run yet: [`snooze_for`] the snoozes River counted in its
/// metadata so far.
pub fn snooze(row: &riverqueue::JobRow) -> riverqueue::WorkOutcome {
    let snoozes = row.metadata.get::<u32>("snoozes").ok().flatten().unwrap_or(0);
    riverqueue::WorkOutcome::Snooze(snooze_for(snoozes))
}

/// What a job turned away does: it is snoozed — put back without using an attempt — for
/// longer each time it was snoozed before, and counted in `/metrics`.
pub fn turn_away(
    row: &riverqueue::JobRow,
    work: Work,
    metrics: &crate::metrics::Metrics,
) -> riverqueue::WorkOutcome {
    metrics.observe_fair_snooze(work.as_str());
    snooze(row)
}

/// The share of this node's workers each tenant may hold, per kind of work; cheap to clone
/// (clones share the count).
#[derive(Clone, Debug)]
pub struct FairShare {
    /// Jobs of one kind one tenant may run at once.
    cap: usize,
    /// Slots held in all (every tenant, both kinds) past which only a tenant running none of
    /// that kind gets one: `workers − cap` (but never less than `cap`), so the last `cap`
    /// workers stay for tenants not yet served, however many tenants flood at once.
    busy: usize,
    held: Arc<Mutex<Held>>,
}

#[derive(Debug, Default)]
struct Held {
    /// Slots held per tenant and kind; a key goes when its count is back to zero, so the map
    /// holds only tenants with work running.
    by_tenant: HashMap<(TenantId, Work), usize>,
    /// All slots held.
    total: usize,
}

impl FairShare {
    /// Shares of `workers` workers, `cap` per tenant and kind (at least 1).
    pub fn new(workers: usize, cap: usize) -> Self {
        let cap = cap.max(1);
        Self { cap, busy: workers.saturating_sub(cap).max(cap), held: Arc::default() }
    }

    /// The share a tenant may hold of each kind of work: `configured`, or a quarter of the
    /// workers; at least 1.
    pub fn cap_for(workers: usize, configured: Option<usize>) -> usize {
        configured.unwrap_or(workers / 4).max(1)
    }

    /// Jobs of one kind one tenant may run at once.
    pub const fn cap(&self) -> usize {
        self.cap
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for one job of `tenant`'s `work`, held until the slot is dropped; `None` when the
    /// tenant already runs its share of that work, or when the workers are busy and the tenant
    /// already runs some of it.
    pub fn try_take(&self, tenant: TenantId, work: Work) -> Option<Slot> {
        let mut held = self.lock();
        let total = held.total;
        let mine = held.by_tenant.entry((tenant, work)).or_insert(0);
        if *mine >= self.cap || (*mine > 0 && total >= self.busy) {
            if *mine == 0 {
                held.by_tenant.remove(&(tenant, work));
            }
            return None;
        }
        *mine += 1;
        held.total += 1;
        Some(Slot { share: self.clone(), key: (tenant, work) })
    }

    /// Slots held now by `tenant` for `work`.
    pub fn held(&self, tenant: TenantId, work: Work) -> usize {
        self.lock().by_tenant.get(&(tenant, work)).copied().unwrap_or(0)
    }
}

/// One running job's place in its tenant's share; dropping it frees the place.
#[derive(Debug)]
pub struct Slot {
    share: FairShare,
    key: (TenantId, Work),
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.share.lock();
        held.total = held.total.saturating_sub(1);
        if let Some(mine) = held.by_tenant.get_mut(&self.key) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                held.by_tenant.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_holds_at_most_its_share_and_others_still_get_slots() {
        let share = FairShare::new(12, 3);
        let (a, b) = (TenantId::new(), TenantId::new());
        let a_slots: Vec<Slot> = (0..10).filter_map(|_| share.try_take(a, Work::Webhook)).collect();
        assert_eq!(a_slots.len(), 3, "a gets its share and no more");
        let b_slots: Vec<Slot> = (0..10).filter_map(|_| share.try_take(b, Work::Webhook)).collect();
        assert_eq!(b_slots.len(), 3, "b gets its own share while a is at its cap");
        assert!(share.try_take(a, Work::Plugin).is_some(), "plugin work is counted apart");
        drop(a_slots);
        assert_eq!(share.held(a, Work::Webhook), 0);
        assert_eq!(share.try_take(a, Work::Webhook).map(|_| ()), Some(()), "a's slots came back");
    }

    #[test]
    fn the_last_workers_are_kept_for_tenants_not_yet_served() {
        // 8 workers, 2 each: three busy tenants take 6; a fourth tenant already running one
        // job gets no second while the workers are that busy, but a new tenant gets one.
        let share = FairShare::new(8, 2);
        let busy: Vec<TenantId> = (0..3).map(|_| TenantId::new()).collect();
        let _held: Vec<Slot> = busy
            .iter()
            .flat_map(|t| [share.try_take(*t, Work::Webhook), share.try_take(*t, Work::Webhook)])
            .flatten()
            .collect();
        assert_eq!(_held.len(), 6);
        let fourth = TenantId::new();
        let first = share.try_take(fourth, Work::Webhook);
        assert!(first.is_some(), "a tenant with nothing running always gets a slot");
        assert!(share.try_take(fourth, Work::Webhook).is_none(), "but no second one while workers are short");
        assert!(share.try_take(TenantId::new(), Work::Webhook).is_some(), "nor does it stop a newcomer");
    }

    #[test]
    fn concurrent_jobs_never_exceed_the_share() {
        let share = FairShare::new(100, 4);
        let tenant = TenantId::new();
        let peak = Arc::new(Mutex::new((0usize, 0usize)));
        std::thread::scope(|scope| {
            for _ in 0..16 {
                let (share, peak) = (share.clone(), peak.clone());
                scope.spawn(move || {
                    for _ in 0..200 {
                        if let Some(_slot) = share.try_take(tenant, Work::Plugin) {
                            let mut p = peak.lock().unwrap();
                            p.0 += 1;
                            p.1 = p.1.max(p.0);
                            drop(p);
                            std::thread::yield_now();
                            peak.lock().unwrap().0 -= 1;
                        }
                    }
                });
            }
        });
        let (running, most) = *peak.lock().unwrap();
        assert_eq!(running, 0);
        assert!((1..=4).contains(&most), "at most 4 at once, saw {most}");
        assert_eq!(share.held(tenant, Work::Plugin), 0, "every slot was given back");
    }

    #[test]
    fn snoozes_grow_with_jitter_up_to_a_minute() {
        for (snoozes, full) in [(0, 1), (1, 2), (3, 8), (5, 32), (6, 60), (40, 60)] {
            let delay = snooze_for(snoozes);
            let full = Duration::from_secs(full);
            assert!(delay >= full / 2 && delay <= full, "{snoozes}: {delay:?}");
        }
    }

    #[test]
    fn the_default_share_is_a_quarter_of_the_workers_and_at_least_one() {
        assert_eq!(FairShare::cap_for(100, None), 25);
        assert_eq!(FairShare::cap_for(2, None), 1);
        assert_eq!(FairShare::cap_for(100, Some(0)), 1);
        assert_eq!(FairShare::cap_for(100, Some(10)), 10);
    }
}
