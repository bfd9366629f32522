//! `lifecycle-kit bench`: what the runtimes cost, measured in one run beside the
//! baselines they are judged against (see [`Floor`] and [`seed_style_cycle`]).
//!
//! Every figure is measured in this process, in one run, so the ratios hold even on a
//! busy machine where the absolute figures do not. Nothing here asserts a speed: the
//! goals are printed beside the figures and judged by whoever reads them.
//!
//! Ratios, each named for what it divides: `cycle_vs_floor_pooled` is the reference
//! cycle over the pooled floor's (lower is better, the goal is at most 2);
//! `cycle_vs_seed_style` is the seed-style cycle over the reference's (how many times
//! faster; the goal is at least 100); `messages_vs_floor` is the reference's messages
//! per second over the floor's (the goal is at least 0.5). The component ABI has its
//! own two, against its own floor (bare `wasmtime::component` with typed calls):
//! `component_cycle_vs_floor_pooled` (goal: at most 2) and `component_messages_vs_floor`
//! (goal: at least 0.5).

mod components;
mod figures;
mod floor;
mod host;
pub mod html;
pub(crate) mod modules;
mod scale;
mod stats;
mod svg;

pub use components::ComponentFloor;
pub use figures::{ComponentFigures, Failed, Overshoot, RuntimeFigures};
pub use floor::{Floor, MESSAGE, seed_style_cycle};
pub use host::{Footprint, footprint};
pub use modules::echo;
pub use scale::{Held, Scale};

use lifecycle_runtime::engine::wasmtime::config::Allocation;
use lifecycle_runtime::runtimes::RuntimeConfig;
use lifecycle_runtime::{Runtime, WasmiRuntime};
use std::fmt;

/// How much to measure.
#[derive(Clone, Copy, Debug, Default)]
pub struct Settings {
    /// A small run: every figure, few samples (what CI executes; its figures mean little).
    pub quick: bool,
}

impl Settings {
    fn counts(self) -> figures::Counts {
        match self.quick {
            true => figures::Counts {
                cycles: 200,
                messages: 2_000,
                timeouts: 2,
            },
            false => figures::Counts {
                cycles: 20_000,
                messages: 200_000,
                timeouts: 20,
            },
        }
    }

    /// Seed-style cycles: each builds an engine and compiles, about a millisecond.
    fn seed_cycles(self) -> usize {
        if self.quick { 10 } else { 300 }
    }

    /// Components over which resident memory is measured, and the most held.
    fn scale(self) -> (usize, usize) {
        if self.quick {
            (500, 2_000)
        } else {
            (10_000, 200_000)
        }
    }
}

/// The measurements, in the order they run (for a progress display).
pub const STEPS: &[&str] = &[
    "scale",
    "floor",
    "seed style",
    "reference: spawn and stop",
    "reference: cycle",
    "reference: messages",
    "reference: health",
    "reference: timeouts",
    "components",
    "wasmi: spawn and stop",
    "wasmi: cycle",
    "wasmi: messages",
    "wasmi: health",
    "wasmi: timeouts",
];

/// Bare-engine figures of one allocator.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct FloorFigures {
    pub cycle_p50_us: f64,
    pub cycle_p99_us: f64,
    pub message_p50_us: f64,
    pub messages_per_sec: f64,
    /// The same messages with synchronous calls, the call path not taken.
    pub sync_message_p50_us: f64,
    pub sync_messages_per_sec: f64,
    pub health_p50_us: f64,
}

/// The seed-style baseline.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SeedFigures {
    pub cycle_p50_us: f64,
    pub cycle_p99_us: f64,
}

/// Everything one `bench` run measured. Serialized, this is `bench --json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    pub machine: String,
    pub quick: bool,
    /// The allocator the reference runtime really used.
    pub allocation: String,
    /// The reference runtime.
    #[serde(flatten)]
    pub reference: RuntimeFigures,
    pub rss_per_component_bytes: u64,
    pub max_components_per_gib: u64,
    pub max_components_held: usize,
    pub cycle_vs_floor_pooled: f64,
    pub cycle_vs_floor_on_demand: f64,
    pub cycle_vs_seed_style: f64,
    pub messages_vs_floor: f64,
    pub all_cores_vs_one: f64,
    pub scale: Scale,
    pub floor_pooled: Option<FloorFigures>,
    pub floor_on_demand: FloorFigures,
    pub seed_style: SeedFigures,
    pub wasmi: RuntimeFigures,
    /// The reference runtime running the echo actor as a component (SPEC.md §8).
    pub component: ComponentFigures,
    pub component_floor_pooled: Option<ComponentFloorFigures>,
    pub component_floor_on_demand: ComponentFloorFigures,
    pub component_cycle_vs_floor_pooled: f64,
    pub component_cycle_vs_floor_on_demand: f64,
    pub component_messages_vs_floor: f64,
    /// The kit's version (`lifecycle-kit --version`).
    pub kit_version: String,
    /// When the run ended, in UTC (RFC 3339, to the second).
    pub date: String,
}

/// Bare `wasmtime::component` figures of one allocator.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ComponentFloorFigures {
    pub cycle_p50_us: f64,
    pub cycle_p99_us: f64,
    pub message_p50_us: f64,
    pub messages_per_sec: f64,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("the bare-engine baseline failed: {0:#}")]
    Floor(wasmtime::Error),
    #[error("cannot create the runtime: {0}")]
    Runtime(lifecycle_contract::Error),
    #[error("measuring {runtime}: {failed}")]
    Measure {
        runtime: &'static str,
        failed: Failed,
    },
}

/// Runs every measurement; `progress` is told each step of [`STEPS`] as it begins.
pub async fn run(settings: Settings, progress: &mut dyn FnMut(&str)) -> Result<Report, BenchError> {
    let counts = settings.counts();
    let echo = wat::parse_str(modules::echo()).expect("valid text");

    // First, on a fresh heap: resident memory per component is read as growth, and
    // memory other measurements gave back would be reused and hide some of it.
    progress("scale");
    let (sample, cap) = settings.scale();
    let scale = scale::measure(sample, cap).await;

    progress("floor");
    let floor = async |allocation| -> Result<Option<FloorFigures>, wasmtime::Error> {
        let Some(floor) = Floor::new(allocation, &echo)? else {
            return Ok(None);
        };
        let cycle = floor::timed(counts.cycles, async || floor.cycle().await).await?;
        let (messages, took) = floor.messages(counts.messages).await?;
        let (sync, sync_took) = floor.messages_sync(counts.messages).await?;
        let health = floor.health(counts.messages).await?;
        Ok(Some(FloorFigures {
            cycle_p50_us: cycle.p50_us(),
            cycle_p99_us: cycle.p99_us(),
            message_p50_us: messages.p50_us(),
            messages_per_sec: counts.messages as f64 / took.as_secs_f64(),
            sync_message_p50_us: sync.p50_us(),
            sync_messages_per_sec: counts.messages as f64 / sync_took.as_secs_f64(),
            health_p50_us: health.p50_us(),
        }))
    };
    let floor_pooled = floor(Allocation::Pooling)
        .await
        .map_err(BenchError::Floor)?;
    let floor_on_demand = floor(Allocation::OnDemand)
        .await
        .map_err(BenchError::Floor)?
        .unwrap_or_default();

    progress("seed style");
    let seed = floor::timed(settings.seed_cycles(), async || {
        floor::seed_style_cycle(&echo).await
    })
    .await
    .map_err(BenchError::Floor)?;
    let seed_style = SeedFigures {
        cycle_p50_us: seed.p50_us(),
        cycle_p99_us: seed.p99_us(),
    };

    let reference_runtime =
        Runtime::with_config(RuntimeConfig::default()).map_err(BenchError::Runtime)?;
    let allocation = reference_runtime.engine().allocation().to_string();
    let reference = {
        let mut tell = |what: &str| progress(&format!("reference: {what}"));
        figures::measure(&reference_runtime, counts, &mut tell)
            .await
            .map_err(|failed| BenchError::Measure {
                runtime: "reference",
                failed,
            })?
    };
    progress("components");
    let component = figures::measure_component(
        &reference_runtime,
        &components::source(),
        components::config(),
        counts,
    )
    .await
    .map_err(|failed| BenchError::Measure {
        runtime: "reference (components)",
        failed,
    })?;
    drop(reference_runtime);
    let component_echo = components::echo();
    let component_floor = async |allocation| -> wasmtime::Result<Option<ComponentFloorFigures>> {
        let Some(floor) = ComponentFloor::new(allocation, &component_echo)? else {
            return Ok(None);
        };
        let cycle = floor::timed(counts.cycles, async || floor.cycle().await).await?;
        let (messages, took) = floor.messages(counts.messages).await?;
        Ok(Some(ComponentFloorFigures {
            cycle_p50_us: cycle.p50_us(),
            cycle_p99_us: cycle.p99_us(),
            message_p50_us: messages.p50_us(),
            messages_per_sec: counts.messages as f64 / took.as_secs_f64(),
        }))
    };
    let component_floor_pooled = component_floor(Allocation::Pooling)
        .await
        .map_err(BenchError::Floor)?;
    let component_floor_on_demand = component_floor(Allocation::OnDemand)
        .await
        .map_err(BenchError::Floor)?
        .unwrap_or_default();
    let wasmi = {
        let mut tell = |what: &str| progress(&format!("wasmi: {what}"));
        figures::measure(&WasmiRuntime::new(), counts, &mut tell)
            .await
            .map_err(|failed| BenchError::Measure {
                runtime: "wasmi",
                failed,
            })?
    };

    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Ok(Report {
        machine: host::machine(),
        quick: settings.quick,
        allocation,
        cycle_vs_floor_pooled: floor_pooled
            .as_ref()
            .map_or(0.0, |f| ratio(reference.cycle_p50_us, f.cycle_p50_us)),
        cycle_vs_floor_on_demand: ratio(reference.cycle_p50_us, floor_on_demand.cycle_p50_us),
        cycle_vs_seed_style: ratio(seed_style.cycle_p50_us, reference.cycle_p50_us),
        messages_vs_floor: ratio(
            reference.messages_per_sec,
            floor_on_demand_or_pooled(&floor_pooled, &floor_on_demand),
        ),
        all_cores_vs_one: ratio(
            reference.messages_per_sec_all_cores,
            reference.messages_per_sec,
        ),
        rss_per_component_bytes: scale.rss_per_component_bytes,
        max_components_per_gib: scale.max_components_per_gib,
        max_components_held: scale.max_components_held,
        reference,
        scale,
        floor_pooled,
        floor_on_demand,
        seed_style,
        wasmi,
        component_cycle_vs_floor_pooled: component_floor_pooled
            .as_ref()
            .map_or(0.0, |f| ratio(component.cycle_p50_us, f.cycle_p50_us)),
        component_cycle_vs_floor_on_demand: ratio(
            component.cycle_p50_us,
            component_floor_on_demand.cycle_p50_us,
        ),
        component_messages_vs_floor: ratio(
            component.messages_per_sec,
            component_floor_pooled
                .as_ref()
                .unwrap_or(&component_floor_on_demand)
                .messages_per_sec,
        ),
        component,
        component_floor_pooled,
        component_floor_on_demand,
        kit_version: env!("CARGO_PKG_VERSION").to_string(),
        date: host::utc_now(),
    })
}

/// Messages on one instance do not depend on the allocator: the pooled floor's where
/// there is one.
fn floor_on_demand_or_pooled(pooled: &Option<FloorFigures>, on_demand: &FloorFigures) -> f64 {
    pooled.as_ref().unwrap_or(on_demand).messages_per_sec
}

impl fmt::Display for Report {
    /// The figures as a table: each runtime beside each baseline, with the ratios and
    /// the goals they are judged against.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.reference;
        let w = &self.wasmi;
        let pooled = self.floor_pooled.clone().unwrap_or_default();
        let od = &self.floor_on_demand;
        let dash = |x: f64| {
            if x > 0.0 {
                format!("{x:.2}")
            } else {
                "-".into()
            }
        };
        writeln!(
            f,
            "machine: {}; reference allocator: {}{}",
            self.machine,
            self.allocation,
            if self.quick {
                "; --quick (few samples: the figures mean little)"
            } else {
                ""
            }
        )?;
        writeln!(
            f,
            "{:<44} {:>11} {:>11} {:>13} {:>13} {:>11}",
            "figure", "reference", "wasmi", "floor pooled", "floor on-dem.", "seed style"
        )?;
        let mut row = |name: &str, r: f64, w: f64, p: f64, o: f64, s: f64| {
            writeln!(
                f,
                "{name:<44} {:>11} {:>11} {:>13} {:>13} {:>11}",
                dash(r),
                dash(w),
                dash(p),
                dash(o),
                dash(s)
            )
        };
        row(
            "cycle p50 (µs)",
            r.cycle_p50_us,
            w.cycle_p50_us,
            pooled.cycle_p50_us,
            od.cycle_p50_us,
            self.seed_style.cycle_p50_us,
        )?;
        row(
            "cycle p99 (µs)",
            r.cycle_p99_us,
            w.cycle_p99_us,
            pooled.cycle_p99_us,
            od.cycle_p99_us,
            self.seed_style.cycle_p99_us,
        )?;
        row(
            "spawn echo p50 / p99 (µs)",
            r.spawn_p50_us,
            w.spawn_p50_us,
            0.0,
            0.0,
            0.0,
        )?;
        row("  p99", r.spawn_p99_us, w.spawn_p99_us, 0.0, 0.0, 0.0)?;
        row(
            "stop echo p50 (µs)",
            r.stop_p50_us,
            w.stop_p50_us,
            0.0,
            0.0,
            0.0,
        )?;
        row("  p99", r.stop_p99_us, w.stop_p99_us, 0.0, 0.0, 0.0)?;
        row(
            "spawn empty p50 (µs)",
            r.spawn_empty_p50_us,
            w.spawn_empty_p50_us,
            0.0,
            0.0,
            0.0,
        )?;
        row(
            "stop empty p50 (µs)",
            r.stop_empty_p50_us,
            w.stop_empty_p50_us,
            0.0,
            0.0,
            0.0,
        )?;
        row(
            "message p50 (µs)",
            r.message_p50_us,
            w.message_p50_us,
            pooled.message_p50_us,
            od.message_p50_us,
            0.0,
        )?;
        row(
            "messages/s, one component",
            r.messages_per_sec,
            w.messages_per_sec,
            pooled.messages_per_sec,
            od.messages_per_sec,
            0.0,
        )?;
        row(
            "  floor with synchronous calls",
            0.0,
            0.0,
            pooled.sync_messages_per_sec,
            od.sync_messages_per_sec,
            0.0,
        )?;
        row(
            "messages/s, one per core",
            r.messages_per_sec_all_cores,
            w.messages_per_sec_all_cores,
            0.0,
            0.0,
            0.0,
        )?;
        row(
            "health p50 (µs)",
            r.health_p50_us,
            w.health_p50_us,
            pooled.health_p50_us,
            od.health_p50_us,
            0.0,
        )?;
        for (ro, wo) in r.timeout_overshoot_ms.iter().zip(&w.timeout_overshoot_ms) {
            row(
                &format!("50 ms timeout late, {} p50 (ms)", ro.entry),
                ro.p50_ms,
                wo.p50_ms,
                0.0,
                0.0,
                0.0,
            )?;
            row("  p99", ro.p99_ms, wo.p99_ms, 0.0, 0.0, 0.0)?;
        }
        let c = &self.component;
        let cp = self.component_floor_pooled.clone().unwrap_or_default();
        let co = &self.component_floor_on_demand;
        row(
            "component cycle p50 (µs)",
            c.cycle_p50_us,
            0.0,
            cp.cycle_p50_us,
            co.cycle_p50_us,
            0.0,
        )?;
        row(
            "  p99",
            c.cycle_p99_us,
            0.0,
            cp.cycle_p99_us,
            co.cycle_p99_us,
            0.0,
        )?;
        row(
            "component message p50 (µs)",
            c.message_p50_us,
            0.0,
            cp.message_p50_us,
            co.message_p50_us,
            0.0,
        )?;
        row(
            "component messages/s",
            c.messages_per_sec,
            0.0,
            cp.messages_per_sec,
            co.messages_per_sec,
            0.0,
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "cycle ÷ pooled floor        {:>8.2}×  (goal: at most 2×)",
            self.cycle_vs_floor_pooled
        )?;
        writeln!(
            f,
            "cycle ÷ on-demand floor     {:>8.2}×",
            self.cycle_vs_floor_on_demand
        )?;
        writeln!(
            f,
            "seed style ÷ cycle          {:>8.1}×  (goal: at least 100×)",
            self.cycle_vs_seed_style
        )?;
        writeln!(
            f,
            "messages/s ÷ floor's        {:>8.3}×  (goal: at least 0.5×)",
            self.messages_vs_floor
        )?;
        writeln!(
            f,
            "all cores ÷ one core        {:>8.2}×  (goal: at least 1.6×)",
            self.all_cores_vs_one
        )?;
        writeln!(
            f,
            "component cycle ÷ pooled floor {:>5.2}×  (goal: at most 2×; floor: bare wasmtime::component)",
            self.component_cycle_vs_floor_pooled
        )?;
        writeln!(
            f,
            "component messages/s ÷ floor's {:>5.3}×  (goal: at least 0.5×; typed component calls)",
            self.component_messages_vs_floor
        )?;
        writeln!(
            f,
            "timeout overshoot p99       {:>8.2} ms (goal: at most 5 ms, idle machine)",
            r.timeout_overshoot_p99_ms
        )?;
        let s = &self.scale;
        writeln!(
            f,
            "RSS per idle ready component {:>7} B, pooled, over {} (goal: at most 8 KiB)",
            s.rss_per_component_bytes, s.pooled.rss_sample
        )?;
        writeln!(
            f,
            "components per GiB           {:>7} (1 GiB ÷ RSS per component)",
            s.max_components_per_gib
        )?;
        let map_count = s.max_map_count.map_or("unknown".into(), |n| n.to_string());
        writeln!(
            f,
            "most components held         {:>7} ({}; goal: at least 100 000; vm.max_map_count {map_count})",
            s.max_components_held, s.max_components_allocation
        )?;
        for h in [&s.pooled, &s.on_demand] {
            writeln!(
                f,
                "  {:<10} {:>7} of at most {} (pool slots {}); stopped by: {}",
                h.allocation, h.held, h.cap, h.pool_instances, h.stopped_by
            )?;
        }
        Ok(())
    }
}
