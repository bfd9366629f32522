//! How the Wasmtime backend's engines are built: one declaration of each knob.
//!
//! Every memory reserves only the address space its runtime's memory ceiling needs (a
//! component that may never exceed 64 MiB does not reserve 4 GiB plus guards), so
//! bounds are checked explicitly and no guard region is reserved. A memory allowed past
//! the ceiling still grows on demand (it moves); in a pool it cannot, so the ceiling is
//! also the most any pooled memory holds.
//!
//! Invariant: whatever [`WasmtimeConfig::allocation`] asks for, an engine is built. A
//! pool the host cannot reserve falls back to on-demand allocation, with one log line.

use lifecycle_contract::Profile;
use lifecycle_contract::limits::DEFAULT_MAX_WASM_STACK;
use std::time::Duration;
use wasmtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig, WasmFeatures};

lifecycle_contract::identifiers! {
    /// How instances are allocated.
    #[derive(Default)]
    Allocation ("allocator") {
        /// Slots reserved once per engine and reused: the cheapest instantiation, with
        /// copy-on-write memory images and warm slots kept for the next instance.
        #[default]
        Pooling => "pooling",
        /// Each instance maps its own memory and releases it when dropped.
        OnDemand => "on-demand",
    }
}

/// Settings of the reference engine.
#[derive(Clone, Debug, PartialEq)]
pub struct WasmtimeConfig {
    /// Guest stack limit (SPEC LC-LIMIT-5, `max_wasm_stack`).
    pub max_wasm_stack: usize,
    /// How often the epoch ticker ticks: the resolution of every wall-clock timeout.
    pub epoch_tick: Duration,
    /// Pooled or on-demand instances.
    pub allocation: Allocation,
    /// Instances alive at once per profile, when pooled: a start beyond it fails with
    /// `resource_limit_exceeded` / `instances`.
    pub pool_instances: u32,
    /// The address space each linear memory reserves, and the most a pooled memory holds.
    pub memory_ceiling: u64,
    /// The most elements a pooled table holds.
    pub table_ceiling: u32,
}

impl Default for WasmtimeConfig {
    fn default() -> Self {
        WasmtimeConfig {
            max_wasm_stack: DEFAULT_MAX_WASM_STACK,
            epoch_tick: Duration::from_millis(1),
            allocation: Allocation::default(),
            pool_instances: 1_000,
            memory_ceiling: 256 << 20,
            table_ceiling: 100_000,
        }
    }
}

/// Every feature of every profile. One engine serves them all: the lifecycle validates
/// each module under its own profile before the engine sees it.
pub(crate) fn every_profile() -> WasmFeatures {
    Profile::ALL
        .iter()
        .fold(WasmFeatures::empty(), |all, p| all | p.features())
}

impl WasmtimeConfig {
    /// A bare Wasmtime engine configured as the reference runtime's, for every profile's
    /// features, and the allocation it really uses: the baseline benchmarks measure the
    /// lifecycle against.
    pub fn bare_engine(&self) -> wasmtime::Result<(wasmtime::Engine, Allocation)> {
        engine_for(every_profile(), self)
    }
}

/// An engine for modules of these `features`, and for components whose modules use them
/// (the Component Model without its async and threading proposals), and the allocation
/// it really uses.
pub(crate) fn engine_for(
    features: WasmFeatures,
    config: &WasmtimeConfig,
) -> wasmtime::Result<(wasmtime::Engine, Allocation)> {
    let mut c = Config::new();
    c.wasm_features(WasmFeatures::all(), false)
        .wasm_features(features | WasmFeatures::COMPONENT_MODEL, true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(config.max_wasm_stack)
        .memory_reservation(config.memory_ceiling)
        .memory_reservation_for_growth(0)
        .memory_guard_size(0)
        .guard_before_linear_memory(false)
        .memory_init_cow(true);
    if config.allocation == Allocation::Pooling {
        let mut pooled = c.clone();
        pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(config)));
        match wasmtime::Engine::new(&pooled) {
            Ok(engine) => return Ok((engine, Allocation::Pooling)),
            Err(e) => tracing::warn!(
                "cannot reserve a pool of {} instances ({e:#}); allocating on demand",
                config.pool_instances
            ),
        }
    }
    Ok((wasmtime::Engine::new(&c)?, Allocation::OnDemand))
}

/// The pool: as many slots of each kind as instances, each as large as the ceilings. A
/// store keeps the fiber stack of its last call, so a ready instance holds a stack too.
fn pool(config: &WasmtimeConfig) -> PoolingAllocationConfig {
    let instances = config.pool_instances;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(instances)
        .total_memories(instances)
        .total_tables(instances.saturating_mul(2))
        .total_stacks(instances)
        .max_memories_per_module(1)
        .max_tables_per_module(8)
        .table_elements(config.table_ceiling as usize)
        .max_memory_size(config.memory_ceiling as usize)
        .max_core_instance_size(16 << 20);
    pool
}
