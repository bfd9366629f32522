//! How many ready components one process holds, and what each costs in resident memory.
//!
//! Each allocator is tried: on demand, components are started until a start fails (the
//! host refuses a mapping); pooled, the pool is sized from the mappings the kernel still
//! allows (a pool's stacks are all mapped when it is made, so a pool larger than that
//! could not be made at all), and components are started until a start fails.

use super::host;
use super::modules;
use lifecycle_contract::Limits;
use lifecycle_runtime::engine::wasmtime::Wasmtime;
use lifecycle_runtime::engine::wasmtime::config::{Allocation, WasmtimeConfig};
use lifecycle_runtime::lifecycle::{ComponentConfig, Options, Runtime};
use lifecycle_runtime::source::ModuleSource;

/// What holding many idle `ready` echo components showed, per allocator.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Scale {
    /// The better of the two: the most held at once, and where.
    pub max_components_held: usize,
    pub max_components_allocation: String,
    /// Resident memory per idle `ready` component, pooled (the default allocator).
    pub rss_per_component_bytes: u64,
    /// 1 GiB divided by that.
    pub max_components_per_gib: u64,
    pub pooled: Held,
    pub on_demand: Held,
    /// The kernel's limit on mappings per process, which bounds both counts.
    pub max_map_count: Option<u64>,
}

/// Holding components on one allocator.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Held {
    /// The allocator the runtime really used.
    pub allocation: String,
    /// Pool slots (0 on demand).
    pub pool_instances: u32,
    /// The most held at once (the search stops at `cap`).
    pub held: usize,
    pub cap: usize,
    /// Why no more were held: the cap, or the error of the start that failed.
    pub stopped_by: String,
    /// Resident memory per component over the first `rss_sample` (0: unknown).
    pub rss_per_component_bytes: u64,
    pub rss_sample: usize,
}

/// Mappings a pooled instance holds: its memory slot (accessible part and the rest) and
/// its fiber stack (the stack and its guard page, mapped when the pool is made).
const MAPPINGS_PER_POOLED_INSTANCE: u64 = 4;

/// Mappings left for everything else the process maps meanwhile.
const MAPPINGS_SPARE: u64 = 2_000;

/// Holds components on each allocator in turn (each search's components are stopped
/// before the next begins).
pub async fn measure(rss_sample: usize, cap: usize) -> Scale {
    let limits = Limits::default();
    // Pooled first: it is the default, and the one whose resident memory is reported
    // (the second search reuses heap the first gave back, so reads lower).
    let in_use = host::mappings().unwrap_or(0) + MAPPINGS_SPARE;
    let mappable = host::max_map_count().map_or(u64::MAX, |n| {
        n.saturating_sub(in_use) / MAPPINGS_PER_POOLED_INSTANCE
    });
    let pooled = WasmtimeConfig {
        pool_instances: u32::try_from((cap as u64).min(mappable)).unwrap_or(u32::MAX),
        memory_ceiling: limits.max_memory_bytes,
        ..WasmtimeConfig::default()
    };
    let pooled = hold(pooled, rss_sample, cap).await;
    let on_demand = WasmtimeConfig {
        allocation: Allocation::OnDemand,
        memory_ceiling: limits.max_memory_bytes,
        ..WasmtimeConfig::default()
    };
    let on_demand = hold(on_demand, rss_sample, cap).await;
    let best = match pooled.held >= on_demand.held {
        true => &pooled,
        false => &on_demand,
    };
    Scale {
        max_components_held: best.held,
        max_components_allocation: best.allocation.clone(),
        rss_per_component_bytes: pooled.rss_per_component_bytes,
        max_components_per_gib: match pooled.rss_per_component_bytes {
            0 => 0,
            rss => (1u64 << 30) / rss,
        },
        max_map_count: host::max_map_count(),
        pooled,
        on_demand,
    }
}

/// Starts echo components on a runtime built from `config` until `cap` are ready or a
/// start fails, measuring the resident memory of the first `rss_sample`.
async fn hold(config: WasmtimeConfig, rss_sample: usize, cap: usize) -> Held {
    let mut held = Held {
        cap,
        rss_sample,
        stopped_by: "the cap".into(),
        ..Held::default()
    };
    // Its own engines, dropped when this search ends, so the next measurement can map.
    let engine = match Wasmtime::unshared(&config) {
        Ok(engine) => engine,
        Err(e) => {
            held.stopped_by = e.to_string();
            return held;
        }
    };
    held.allocation = engine.allocation().to_string();
    if engine.allocation() == Allocation::Pooling {
        held.pool_instances = config.pool_instances;
    }
    let runtime = Runtime::on(engine, Options::default());
    let echo = ModuleSource::bytes(wat::parse_str(modules::echo()).expect("valid text"));
    // The module is compiled before the first reading.
    let mut ready = Vec::new();
    let mut first = runtime.component(echo.clone(), ComponentConfig::default());
    if let Err(e) = first.start().await {
        held.stopped_by = e.to_string();
        return held;
    }
    ready.push(first);
    let before = host::footprint();
    let mut measure_rss = |count: usize| {
        if let (Some(before), Some(after)) = (before, host::footprint()) {
            let grown = after.rss_bytes.saturating_sub(before.rss_bytes);
            held.rss_per_component_bytes = grown / count.max(1) as u64;
        }
        held.rss_sample = count;
    };
    while ready.len() < cap {
        let mut actor = runtime.component(echo.clone(), ComponentConfig::default());
        if let Err(e) = actor.start().await {
            held.stopped_by = e.to_string();
            break;
        }
        ready.push(actor);
        if ready.len() == rss_sample + 1 {
            measure_rss(rss_sample);
        }
    }
    if ready.len() <= rss_sample {
        // Fewer than the sample: measure over all that were held.
        measure_rss(ready.len() - 1);
    }
    held.held = ready.len();
    held
}
