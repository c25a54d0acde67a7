//! The data of one invocation's `Store`: who it runs for, what it may do, its limits, and one
//! small state per capability. A fresh one is built for every call and dropped after it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    pub(crate) grants: Grants,
    pub(crate) limits: Limits,
    host_bytes: AtomicUsize,
}

impl Invocation {
    pub(crate) fn new(scope: Scope, grants: Grants, limits: Limits) -> Self {
        Self { scope, grants, limits, host_bytes: AtomicUsize::new(0) }
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
