//! The one wasmtime `Engine` per process: pooling allocator, epoch interruption, and the thread
//! that ticks the epoch.

use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::HostError;
use crate::fair::{Fair, FairConfig};

/// Memory of a freed instance slot kept resident and reset in place, where the kernel can find
/// the dirty pages (see [`PluginEngine::new`]): at most this much RSS per slot ever used, enough
/// for a short call's stack and data.
const KEEP_RESIDENT_MEMORY: usize = 1 << 20;
/// Table memory of a freed slot kept resident and reset in place.
const KEEP_RESIDENT_TABLE: usize = 64 << 10;

/// Whether the kernel has the `PAGEMAP_SCAN` ioctl (Linux 6.7 and later).
fn has_pagemap_scan() -> bool {
    release_has_pagemap_scan(&std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default())
}

fn release_has_pagemap_scan(release: &str) -> bool {
    let mut numbers = release.split(|c: char| !c.is_ascii_digit()).map(|n| n.parse::<u32>().ok());
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (6, 7),
        _ => false,
    }
}

/// How the engine is sized. The pool reserves address space (not memory) up front.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Plugin instances alive at once across all tenants; more wait as [`crate::InvokeError::Busy`].
    pub max_instances: u32,
    /// The ceiling of any plugin's linear memory (plans choose lower limits).
    pub max_memory_bytes: usize,
    /// The wasm call-stack size (deep recursion beyond it stops the call).
    pub max_wasm_stack: usize,
    /// Granularity of wall-clock deadlines, and the time slice of a CPU-bound call.
    pub epoch_tick: Duration,
    /// How the engine is shared between tenants.
    pub fair: FairConfig,
}

impl EngineConfig {
    /// The defaults for a pool of `max_instances`, with the tenant shares sized to it.
    pub fn with_instances(max_instances: u32) -> Self {
        Self {
            max_instances,
            max_memory_bytes: 256 << 20,
            max_wasm_stack: 512 << 10,
            epoch_tick: Duration::from_millis(2),
            fair: FairConfig::for_pool(max_instances),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self::with_instances(128)
    }
}

/// A shared engine with its epoch ticker; cheap to clone.
#[derive(Clone)]
pub struct PluginEngine {
    pub(crate) engine: Engine,
    pub(crate) config: EngineConfig,
    pub(crate) fair: Fair,
}

impl std::fmt::Debug for PluginEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginEngine").field("config", &self.config).finish_non_exhaustive()
    }
}

impl PluginEngine {
    /// Builds the engine and starts its epoch ticker (a plain thread, so it keeps ticking when
    /// every async worker is busy; it stops when the last clone of the engine is dropped).
    pub fn new(config: EngineConfig) -> Result<Self, HostError> {
        let n = config.max_instances;
        let mut pool = PoolingAllocationConfig::new();
        // A Rust wasip2 component is 3 core modules (the program and two adapter shims).
        pool.total_component_instances(n)
            .total_core_instances(n * 4)
            .total_memories(n)
            .total_tables(n * 2)
            .total_stacks(n)
            .max_memory_size(config.max_memory_bytes)
            .max_core_instances_per_component(8)
            .max_memories_per_component(2)
            .max_tables_per_component(4)
            .max_unused_warm_slots(n.min(32));
        if has_pagemap_scan() {
            // A freed slot is reset by rewriting only the pages the call dirtied (found with
            // `PAGEMAP_SCAN`), up to these sizes, instead of `madvise` returning them to the
            // kernel: the next call in the slot takes no page faults for them (a no-op call
            // costs half as much). Without the ioctl wasmtime would `memset` the whole first
            // megabyte instead, which costs more than it saves. Either way the slot is back to
            // its initial image; nothing of one call is visible to the next.
            pool.linear_memory_keep_resident(KEEP_RESIDENT_MEMORY)
                .table_keep_resident(KEEP_RESIDENT_TABLE)
                .pagemap_scan(Enabled::Auto);
        }
        let mut cfg = Config::new();
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack)
            // Host calls run on the fiber stack too; leave them generous headroom.
            .async_stack_size(config.max_wasm_stack + (4 << 20))
            // Reserve exactly the ceiling: no moving memories, modest address space per slot.
            .memory_reservation(config.max_memory_bytes as u64)
            .memory_guard_size(2 << 20)
            .memory_may_move(false)
            // Linear memory starts as a copy-on-write mapping of the module's data (the
            // default, said here because instantiation speed depends on it).
            .memory_init_cow(true)
            .parallel_compilation(true);
        let engine = Engine::new(&cfg).map_err(|e| HostError::Engine(format!("{e:#}")))?;
        let weak = engine.weak();
        let tick = config.epoch_tick;
        std::thread::Builder::new().name("wasm-epoch".into()).spawn(move || {
            loop {
                std::thread::sleep(tick);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })?;
        let fair = Fair::new(config.fair);
        Ok(Self { engine, config, fair })
    }

    /// The wasmtime engine (for embedders that measure or extend it).
    pub fn wasmtime(&self) -> &Engine {
        &self.engine
    }

    /// Instances currently alive in the pool.
    pub fn live_instances(&self) -> u64 {
        self.engine.pooling_allocator_metrics().map_or(0, |m| m.component_instances())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slots_stay_resident_only_on_kernels_that_find_dirty_pages() {
        assert!(super::release_has_pagemap_scan("6.18.44-fc-v1252\n"));
        assert!(super::release_has_pagemap_scan("6.7.0"));
        assert!(!super::release_has_pagemap_scan("6.6.30-generic"));
        assert!(!super::release_has_pagemap_scan("5.15.0-91-generic"));
        assert!(!super::release_has_pagemap_scan(""));
    }
}
