//! How many ready components one process holds, and what each costs in resident memory.

use super::host;
use super::modules;
use crate::engine::wasmtime::Wasmtime;
use crate::engine::wasmtime::config::WasmtimeConfig;
use crate::lifecycle::{ComponentConfig, Options, Runtime};
use crate::source::ModuleSource;
use lifecycle_contract::Limits;

/// What holding many idle `ready` echo components showed.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Scale {
    /// Resident memory per idle `ready` component, measured over `rss_sample` of them.
    pub rss_per_component_bytes: u64,
    pub rss_sample: usize,
    /// 1 GiB divided by the resident memory per component.
    pub max_components_per_gib: u64,
    /// The most held at once (the search stops at `held_cap`).
    pub max_components_held: usize,
    pub held_cap: usize,
    /// Pool slots: `held_cap`, or fewer where the kernel's mapping limit allows fewer.
    pub pool_instances: u32,
    /// Why no more were held: the cap, or the error of the start that failed.
    pub held_stopped_by: String,
    /// The kernel's limit on mappings per process, which bounds the count above.
    pub max_map_count: Option<u64>,
    /// The allocator the runtime really used.
    pub allocation: String,
}

/// Mappings a pooled instance holds: its memory slot (accessible part and the rest) and
/// its fiber stack (the stack and its guard page, mapped when the pool is made).
const MAPPINGS_PER_POOLED_INSTANCE: u64 = 4;

/// Mappings left for everything else the process maps meanwhile.
const MAPPINGS_SPARE: u64 = 2_000;

/// Starts echo components until `cap` are ready or a start fails, measuring the resident
/// memory of the first `rss_sample`. The runtime's pool and memory reservations are sized
/// for this: each memory as large as the default memory limit, and as many slots as
/// `cap` or as the kernel's mapping limit allows, whichever is fewer.
pub async fn hold(rss_sample: usize, cap: usize) -> Result<Scale, lifecycle_contract::Error> {
    let limits = Limits::default();
    let in_use = host::mappings().unwrap_or(0) + MAPPINGS_SPARE;
    let mappable = host::max_map_count().map_or(u64::MAX, |n| {
        n.saturating_sub(in_use) / MAPPINGS_PER_POOLED_INSTANCE
    });
    let slots = (cap as u64).min(mappable);
    let config = WasmtimeConfig {
        pool_instances: u32::try_from(slots).unwrap_or(u32::MAX),
        memory_ceiling: limits.max_memory_bytes,
        ..WasmtimeConfig::default()
    };
    let engine = Wasmtime::new(&config)?;
    let allocation = engine.allocation().to_string();
    let runtime = Runtime::on(engine, Options::default());
    let echo = ModuleSource::bytes(wat::parse_str(modules::echo()).expect("valid text"));
    // The module is compiled before the first reading.
    let mut first = runtime.component(echo.clone(), ComponentConfig::default());
    first.start().await?;
    let mut held = vec![first];
    let before = host::footprint().unwrap_or_default();
    let mut scale = Scale {
        rss_sample,
        held_cap: cap,
        pool_instances: config.pool_instances,
        held_stopped_by: "the cap".into(),
        max_map_count: host::max_map_count(),
        allocation,
        ..Scale::default()
    };
    while held.len() < cap {
        let mut actor = runtime.component(echo.clone(), ComponentConfig::default());
        if let Err(e) = actor.start().await {
            scale.held_stopped_by = e.to_string();
            break;
        }
        held.push(actor);
        if held.len() == rss_sample + 1 {
            let after = host::footprint().unwrap_or_default();
            let grown = after.rss_bytes.saturating_sub(before.rss_bytes);
            scale.rss_per_component_bytes = grown / rss_sample as u64;
        }
    }
    scale.max_components_held = held.len();
    if held.len() <= rss_sample {
        // Fewer than the sample: measure over all that were held.
        let after = host::footprint().unwrap_or_default();
        let grown = after.rss_bytes.saturating_sub(before.rss_bytes);
        scale.rss_sample = held.len() - 1;
        scale.rss_per_component_bytes = grown / scale.rss_sample.max(1) as u64;
    }
    scale.max_components_per_gib = (1u64 << 30) / scale.rss_per_component_bytes.max(1);
    Ok(scale)
}
