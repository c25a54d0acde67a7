//! Fair shares of the plugin engine between tenants (ADR 018).
//!
//! Two mechanisms keep one tenant's plugins from degrading everyone else's:
//!
//! - **Admission.** A tenant has at most [`FairConfig::tenant_calls`] calls in flight on this node,
//!   and at most [`FairConfig::plugin_calls`] for one plugin. A call over either share waits up to
//!   [`FairConfig::queue_wait`] for a place, then is refused as busy. The instance pool is
//!   therefore never filled by one tenant.
//! - **CPU.** A call still running at its first epoch tick is CPU-bound, and from then on runs
//!   WebAssembly only while it holds a CPU slot. The node has [`FairConfig::cpu_slots`] slots
//!   (by default one fewer than the cores, so guest code never occupies every thread the API
//!   runs on) and a tenant holds at most [`FairConfig::tenant_cpu_slots`] of them. Slots are
//!   handed out round-robin between the tenants that wait. A call gives its slot back at every
//!   tick and whenever it enters the host (a capability, I/O), and asks again at its next tick —
//!   so a plugin waiting on the network holds no share, and a short call (less than one tick)
//!   never waits for a slot at all.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ils_records::TenantId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// How the engine is shared between tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FairConfig {
    /// Calls of one tenant in flight at once on this node.
    pub tenant_calls: usize,
    /// Calls of one tenant's plugin in flight at once on this node.
    pub plugin_calls: usize,
    /// How long a call over its tenant's share waits for a place before it is refused as busy.
    pub queue_wait: Duration,
    /// CPU-bound calls running WebAssembly at once on this node.
    pub cpu_slots: usize,
    /// CPU slots one tenant may hold at once.
    pub tenant_cpu_slots: usize,
}

impl FairConfig {
    /// Shares for an engine of `max_instances` instances on this machine's cores: a quarter of
    /// the pool per tenant, an eighth per plugin, and one core kept free of guest code.
    pub fn for_pool(max_instances: u32) -> Self {
        let instances = usize::try_from(max_instances).unwrap_or(usize::MAX);
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let cpu_slots = cores.saturating_sub(1).max(1);
        Self {
            tenant_calls: (instances / 4).max(1),
            plugin_calls: (instances / 8).max(1),
            queue_wait: Duration::from_secs(2),
            cpu_slots,
            tenant_cpu_slots: cpu_slots.div_ceil(2),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A tenant's places on this node: its own share, and one per plugin of it that was called.
#[derive(Debug)]
struct TenantShares {
    calls: Arc<Semaphore>,
    plugins: HashMap<String, Arc<Semaphore>>,
}

impl TenantShares {
    /// Whether no call holds or waits for any of its places (dropping it then loses nothing).
    fn idle(&self) -> bool {
        Arc::strong_count(&self.calls) == 1 && self.plugins.values().all(|s| Arc::strong_count(s) == 1)
    }
}

/// The engine's shares: admission and CPU slots. One per engine; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Fair {
    config: FairConfig,
    /// Looked up once per call, by tenant then by plugin name (no key is allocated).
    tenants: Arc<Mutex<HashMap<TenantId, TenantShares>>>,
    cpu: Arc<Cpu>,
}

/// A call's place in its tenant's and plugin's shares; released when dropped.
#[derive(Debug)]
pub struct Admission {
    _tenant: OwnedSemaphorePermit,
    _plugin: OwnedSemaphorePermit,
    waited: bool,
}

impl Admission {
    /// Whether the call had to wait for its place (its embedder may want to look again at
    /// anything that could have changed meanwhile, such as a circuit breaker).
    pub fn waited(&self) -> bool {
        self.waited
    }
}

/// Tenants whose shares are kept before idle ones are pruned. A tenant seen again keeps its
/// entry (no allocation on its calls); pruning walks the map once per this many new tenants, so
/// it costs O(1) per call, amortised.
const PRUNE_ABOVE: usize = 16_384;

impl Fair {
    pub(crate) fn new(config: FairConfig) -> Self {
        Self {
            config,
            tenants: Arc::default(),
            cpu: Arc::new(Cpu::new(config.cpu_slots.max(1), config.tenant_cpu_slots.max(1))),
        }
    }

    /// The semaphores of `tenant`'s share and of its `plugin`'s.
    fn shares(&self, tenant: TenantId, plugin: &str) -> (Arc<Semaphore>, Arc<Semaphore>) {
        let mut tenants = lock(&self.tenants);
        if tenants.len() > PRUNE_ABOVE && !tenants.contains_key(&tenant) {
            tenants.retain(|_, shares| !shares.idle());
        }
        let shares = tenants.entry(tenant).or_insert_with(|| TenantShares {
            calls: Arc::new(Semaphore::new(self.config.tenant_calls.max(1))),
            plugins: HashMap::new(),
        });
        let plugin_share = match shares.plugins.get(plugin) {
            Some(share) => share.clone(),
            None => {
                let share = Arc::new(Semaphore::new(self.config.plugin_calls.max(1)));
                shares.plugins.insert(plugin.to_owned(), share.clone());
                share
            }
        };
        (shares.calls.clone(), plugin_share)
    }

    pub(crate) fn cpu(&self) -> &Arc<Cpu> {
        &self.cpu
    }

    /// A place for a call of `tenant`'s `plugin`, or `None` when none came free within the
    /// queue wait.
    pub(crate) async fn admit(&self, tenant: TenantId, plugin: &str) -> Option<Admission> {
        let (tenant_share, plugin_share) = self.shares(tenant, plugin);
        if let (Ok(p), Ok(t)) =
            (plugin_share.clone().try_acquire_owned(), tenant_share.clone().try_acquire_owned())
        {
            return Some(Admission { _tenant: t, _plugin: p, waited: false });
        }
        let wait = async {
            // The plugin's share first: a plugin's queue does not hold its tenant's other places.
            let p = plugin_share.acquire_owned().await.ok()?;
            let t = tenant_share.acquire_owned().await.ok()?;
            Some(Admission { _tenant: t, _plugin: p, waited: true })
        };
        tokio::time::timeout(self.config.queue_wait, wait).await.ok().flatten()
    }
}

/// The node's CPU slots for CPU-bound calls, handed out round-robin between tenants.
#[derive(Debug)]
pub(crate) struct Cpu {
    per_tenant: usize,
    state: Mutex<CpuState>,
}

#[derive(Debug, Default)]
struct CpuState {
    free: usize,
    held: HashMap<TenantId, usize>,
    waiting: HashMap<TenantId, VecDeque<oneshot::Sender<CpuSlot>>>,
    /// Tenants with waiters, in the order they are served.
    order: VecDeque<TenantId>,
}

impl CpuState {
    fn held(&self, tenant: &TenantId) -> usize {
        self.held.get(tenant).copied().unwrap_or(0)
    }

    fn take(&mut self, tenant: TenantId) {
        *self.held.entry(tenant).or_default() += 1;
    }

    fn give_back(&mut self, tenant: TenantId) {
        if let Some(n) = self.held.get_mut(&tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.held.remove(&tenant);
            }
        }
    }

    /// The next waiter allowed a slot: the first tenant in turn that holds fewer than its share.
    fn next_waiter(&mut self, per_tenant: usize) -> Option<(TenantId, oneshot::Sender<CpuSlot>)> {
        for _ in 0..self.order.len() {
            let tenant = self.order.pop_front()?;
            if self.held(&tenant) >= per_tenant {
                self.order.push_back(tenant);
                continue;
            }
            let queue = self.waiting.get_mut(&tenant)?;
            let Some(waiter) = queue.pop_front() else {
                self.waiting.remove(&tenant);
                continue;
            };
            if queue.is_empty() {
                self.waiting.remove(&tenant);
            } else {
                self.order.push_back(tenant);
            }
            return Some((tenant, waiter));
        }
        None
    }
}

/// A CPU slot held by one call; given back when dropped.
#[derive(Debug)]
pub(crate) struct CpuSlot {
    cpu: Arc<Cpu>,
    tenant: TenantId,
    armed: bool,
}

impl Drop for CpuSlot {
    fn drop(&mut self) {
        if self.armed {
            self.cpu.release(self.tenant);
        }
    }
}

impl Cpu {
    fn new(slots: usize, per_tenant: usize) -> Self {
        Self { per_tenant, state: Mutex::new(CpuState { free: slots, ..CpuState::default() }) }
    }

    /// Whether any call waits for a slot.
    #[cfg(test)]
    pub(crate) fn contended(&self) -> bool {
        !lock(&self.state).order.is_empty()
    }

    /// Slots in use.
    #[cfg(test)]
    pub(crate) fn in_use(&self) -> usize {
        lock(&self.state).held.values().sum()
    }

    /// A slot for a call of `tenant`: at once when one is free and the tenant is within its
    /// share, else when its turn comes.
    pub(crate) async fn acquire(self: &Arc<Self>, tenant: TenantId) -> CpuSlot {
        let rx = {
            let mut st = lock(&self.state);
            if st.free > 0 && st.held(&tenant) < self.per_tenant {
                st.free -= 1;
                st.take(tenant);
                return CpuSlot { cpu: self.clone(), tenant, armed: true };
            }
            let (tx, rx) = oneshot::channel();
            let queue = st.waiting.entry(tenant).or_default();
            queue.push_back(tx);
            if queue.len() == 1 {
                st.order.push_back(tenant);
            }
            rx
        };
        match rx.await {
            Ok(slot) => slot,
            // Unreachable while `self` is alive: senders are only dropped after a send.
            Err(_) => Box::pin(self.acquire(tenant)).await,
        }
    }

    /// `tenant` gives a slot back: it goes to the next waiter in turn, or back to the pool.
    fn release(self: &Arc<Self>, tenant: TenantId) {
        let mut from = tenant;
        loop {
            let next = {
                let mut st = lock(&self.state);
                st.give_back(from);
                match st.next_waiter(self.per_tenant) {
                    Some((to, tx)) => {
                        st.take(to);
                        Some((to, tx))
                    }
                    None => {
                        st.free += 1;
                        None
                    }
                }
            };
            let Some((to, tx)) = next else { return };
            match tx.send(CpuSlot { cpu: self.clone(), tenant: to, armed: true }) {
                Ok(()) => return,
                // The waiter gave up (its call ended): pass the slot on without recursing.
                Err(mut slot) => {
                    slot.armed = false;
                    from = to;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::new()
    }

    #[tokio::test]
    async fn slots_go_round_robin_between_tenants_not_to_the_busiest() {
        let cpu = Arc::new(Cpu::new(1, 1));
        let (a, b) = (tenant(), tenant());
        let held = cpu.acquire(a).await;
        // Tenant A queues three more calls, then B one.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for (who, name) in [(a, "a1"), (a, "a2"), (a, "a3"), (b, "b1")] {
            let (cpu, tx) = (cpu.clone(), tx.clone());
            tokio::spawn(async move {
                let slot = cpu.acquire(who).await;
                tx.send(name).unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
                drop(slot);
            });
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(cpu.contended());
        drop(held);
        let mut served = Vec::new();
        for _ in 0..4 {
            served.push(rx.recv().await.unwrap());
        }
        // A's first waiter, then B (its turn), before A's second and third.
        assert_eq!(served, ["a1", "b1", "a2", "a3"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(cpu.in_use(), 0);
        assert!(!cpu.contended());
    }

    #[tokio::test]
    async fn a_tenant_never_holds_more_than_its_share() {
        let cpu = Arc::new(Cpu::new(2, 1));
        let (a, b) = (tenant(), tenant());
        let first = cpu.acquire(a).await;
        // A second slot is free, but not for A.
        let second_a = tokio::spawn({
            let cpu = cpu.clone();
            async move { cpu.acquire(a).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!second_a.is_finished());
        // B gets the free one at once.
        let for_b = tokio::time::timeout(Duration::from_secs(5), cpu.acquire(b)).await.unwrap();
        assert_eq!(cpu.in_use(), 2);
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), second_a).await.unwrap().unwrap();
        drop((second, for_b));
        assert_eq!(cpu.in_use(), 0);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_passes_its_slot_on() {
        let cpu = Arc::new(Cpu::new(1, 1));
        let (a, b, c) = (tenant(), tenant(), tenant());
        let held = cpu.acquire(a).await;
        let gave_up = tokio::spawn({
            let cpu = cpu.clone();
            async move { cpu.acquire(b).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let waits = tokio::spawn({
            let cpu = cpu.clone();
            async move { cpu.acquire(c).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        gave_up.abort();
        let _ = gave_up.await;
        drop(held);
        let slot = tokio::time::timeout(Duration::from_secs(5), waits).await.unwrap().unwrap();
        assert_eq!(cpu.in_use(), 1);
        drop(slot);
        assert_eq!(cpu.in_use(), 0);
    }

    #[tokio::test]
    async fn admission_refuses_past_the_share_after_waiting() {
        let config = FairConfig {
            tenant_calls: 3,
            plugin_calls: 2,
            queue_wait: Duration::from_millis(50),
            cpu_slots: 1,
            tenant_cpu_slots: 1,
        };
        let fair = Fair::new(config);
        let (a, b) = (tenant(), tenant());
        let one = fair.admit(a, "p").await.unwrap();
        let two = fair.admit(a, "p").await.unwrap();
        assert!(!one.waited() && !two.waited());
        // The plugin's share is used up; another plugin of A still gets the tenant's last place.
        assert!(fair.admit(a, "p").await.is_none());
        let other = fair.admit(a, "q").await.unwrap();
        assert!(fair.admit(a, "r").await.is_none(), "the tenant's share is used up");
        // Another tenant is not affected.
        assert!(fair.admit(b, "p").await.is_some());
        // A place that comes free within the wait is taken, and says it waited.
        let later = tokio::spawn({
            let fair = fair.clone();
            async move { fair.admit(a, "p").await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(one);
        let admitted = later.await.unwrap().unwrap();
        assert!(admitted.waited());
        drop((two, other, admitted));
    }
}
