//! The data of one invocation's `Store`: who it runs for, what it may do, its limits, and one
//! small state per capability. A fresh one is built for every call and dropped after it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ils_registry::Capability;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::cap;
use crate::error::Breach;
use crate::limits::{Limit, Limits};
use crate::scope::Scope;

/// Capabilities a tenant granted a plugin: declared in the manifest, consented to by a tenant
/// admin and allowed by the tenant's plan. The embedder computes it; the host also intersects
/// it with the manifest, so a grant can never exceed the declaration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants(BTreeSet<Capability>);

impl Grants {
    /// No capability.
    pub fn none() -> Self {
        Self::default()
    }

    /// Every capability; the host still grants only what the manifest declares (local testing,
    /// `ils plugin invoke`).
    pub fn all() -> Self {
        Self(Capability::ALL.into_iter().collect())
    }

    /// Whether `capability` is granted.
    pub fn contains(&self, capability: Capability) -> bool {
        self.0.contains(&capability)
    }

    pub(crate) fn intersect(&self, declared: &BTreeSet<Capability>) -> Self {
        Self(self.0.intersection(declared).copied().collect())
    }
}

impl FromIterator<Capability> for Grants {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// What every capability of one invocation shares.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub(crate) scope: Scope,
    /// The invocation's time (`context.now`), fixed when it starts.
    pub(crate) now_ms: i64,
    pub(crate) grants: Grants,
    pub(crate) limits: Limits,
    host_bytes: AtomicUsize,
    /// Outbound HTTP body bytes, both ways (metering).
    outbound_bytes: AtomicU64,
}

impl Invocation {
    pub(crate) fn new(scope: Scope, grants: Grants, limits: Limits, now_ms: i64) -> Self {
        Self {
            scope,
            now_ms,
            grants,
            limits,
            host_bytes: AtomicUsize::new(0),
            outbound_bytes: AtomicU64::new(0),
        }
    }

    /// Counts `n` outbound HTTP body bytes, sent or received.
    pub(crate) fn count_outbound(&self, n: usize) {
        self.outbound_bytes.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub(crate) fn outbound_bytes(&self) -> u64 {
        self.outbound_bytes.load(Ordering::Relaxed)
    }

    /// Counts `n` bytes handed to the guest; breaching the budget stops the invocation.
    pub(crate) fn charge(&self, n: usize) -> wasmtime::Result<()> {
        let used = self.host_bytes.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        if used > self.limits.host_bytes {
            return Err(wasmtime::Error::new(Breach(Limit::HostBytes)));
        }
        Ok(())
    }

    pub(crate) fn host_bytes(&self) -> usize {
        self.host_bytes.load(Ordering::Relaxed)
    }
}

/// The time a guest runs WebAssembly: started when the host enters or returns to the guest,
/// stopped when the guest calls the host, returns, or yields its CPU slot at an epoch tick. Shared
/// (behind a lock) with the future that waits for the next CPU slot, which starts it again.
#[derive(Debug, Default)]
pub(crate) struct GuestClock(std::sync::Mutex<(Option<Instant>, Duration)>);

impl GuestClock {
    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<Instant>, Duration)> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The guest runs (again).
    pub(crate) fn start(&self) {
        let mut clock = self.lock();
        if clock.0.is_none() {
            clock.0 = Some(Instant::now());
        }
    }

    /// The guest stopped running.
    pub(crate) fn stop(&self) {
        let mut clock = self.lock();
        if let Some(since) = clock.0.take() {
            clock.1 += since.elapsed();
        }
    }

    /// The time run so far (a run still going counts up to now).
    pub(crate) fn total(&self) -> Duration {
        let clock = self.lock();
        clock.1 + clock.0.map_or(Duration::ZERO, |since| since.elapsed())
    }
}

/// Memory and table limits, recording the peak and which limit was breached.
#[derive(Debug)]
pub(crate) struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    pub(crate) peak_memory: usize,
    pub(crate) breached: Option<Limit>,
}

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            peak_memory: 0,
            breached: None,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes || maximum.is_some_and(|m| desired > m) {
            self.breached = Some(Limit::Memory);
            return Err(wasmtime::Error::new(Breach(Limit::Memory)));
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_elements || maximum.is_some_and(|m| desired > m) {
            self.breached = Some(Limit::Table);
            return Err(wasmtime::Error::new(Breach(Limit::Table)));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        8
    }

    fn tables(&self) -> usize {
        8
    }

    fn memories(&self) -> usize {
        2
    }
}

/// `T` of `Store<T>`.
pub(crate) struct StoreState {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) table: ResourceTable,
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) outbound: cap::http::OutboundPolicy,
    pub(crate) limiter: Limiter,
    /// The CPU slot a CPU-bound call holds while it runs WebAssembly (ADR 018); shared with the
    /// future that waits for the next one.
    pub(crate) cpu_slot: Arc<std::sync::Mutex<Option<crate::fair::CpuSlot>>>,
    /// How long the guest has run WebAssembly (metering).
    pub(crate) guest_clock: Arc<GuestClock>,
    pub(crate) stderr: MemoryOutputPipe,
    pub(crate) timed_out: bool,
    /// The first HTTP status the guest tried to answer with and the host refused.
    pub(crate) refused_status: Option<u16>,
    pub(crate) context: cap::context::ContextCap,
    pub(crate) log: cap::log::LogCap,
    pub(crate) config: cap::config::ConfigCap,
    pub(crate) secrets: cap::secrets::SecretsCap,
    pub(crate) kv: cap::kv::KvCap,
    pub(crate) events: cap::events::EventsCap,
    pub(crate) orders: cap::orders::OrdersCap,
    pub(crate) clinical: cap::clinical::ClinicalCap,
    pub(crate) inventory: cap::inventory::InventoryCap,
    pub(crate) reports: cap::reports::ReportsCap,
    pub(crate) files: cap::files::FilesCap,
    pub(crate) notify: cap::notify::NotifyCap,
    pub(crate) progress: cap::progress::ProgressCap,
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.outbound }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_never_exceed_the_manifest() {
        let declared: BTreeSet<Capability> = [Capability::Kv, Capability::HttpOutbound].into();
        let granted = Grants::all().intersect(&declared);
        assert!(granted.contains(Capability::Kv) && granted.contains(Capability::HttpOutbound));
        assert!(!granted.contains(Capability::ClinicalRead));
        let consented: Grants = [Capability::Kv, Capability::Secrets].into_iter().collect();
        let granted = consented.intersect(&declared);
        assert!(granted.contains(Capability::Kv));
        assert!(!granted.contains(Capability::Secrets) && !granted.contains(Capability::HttpOutbound));
    }
}
