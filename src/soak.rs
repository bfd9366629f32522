//! `lifecycle-kit soak`: many start / message / stop cycles across the ways a guest
//! misbehaves, to show that teardown gives everything back.
//!
//! Each cycle runs one guest of [`Misbehaviour::ALL`], in turn: a clean echo, a trap, fuel
//! exhaustion, a timeout, a failed start, a cleanup past its timeout, a denied memory
//! growth; and sends one message and a health check to one long-lived echo component,
//! started before the first cycle and stopped after the last (what grows by every
//! message, not by every start, shows there). After every cycle nothing but the
//! long-lived component may be live, and after the last nothing at all; the footprint
//! after the first [`BASELINE_CYCLES`] cycles is the baseline, and the footprint at the
//! end may exceed it by at most [`TOLERANCE`].

use crate::bench::{Footprint, footprint};
use crate::engine::wasmtime::Wasmtime;
use crate::lifecycle::{ComponentConfig, Runtime};
use crate::source::ModuleSource;
use lifecycle_contract::Limits;
use std::time::Duration;

/// Cycles run before the baseline footprint is read: warm caches and pools first.
pub const BASELINE_CYCLES: u64 = 1_000;

/// How much the footprint may grow after the baseline, as a fraction.
pub const TOLERANCE: f64 = 0.01;

/// How long the guests that spin get, before their timeout stops them.
const SPIN: Duration = Duration::from_millis(2);

/// One way a guest behaves in a soak cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    Clean,
    Trap,
    OutOfFuel,
    Timeout,
    FailedStart,
    CleanupTimeout,
    DeniedGrowth,
}

impl Misbehaviour {
    pub const ALL: [Misbehaviour; 7] = [
        Misbehaviour::Clean,
        Misbehaviour::Trap,
        Misbehaviour::OutOfFuel,
        Misbehaviour::Timeout,
        Misbehaviour::FailedStart,
        Misbehaviour::CleanupTimeout,
        Misbehaviour::DeniedGrowth,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Misbehaviour::Clean => "clean",
            Misbehaviour::Trap => "trap",
            Misbehaviour::OutOfFuel => "out of fuel",
            Misbehaviour::Timeout => "timeout",
            Misbehaviour::FailedStart => "failed start",
            Misbehaviour::CleanupTimeout => "cleanup timeout",
            Misbehaviour::DeniedGrowth => "denied growth",
        }
    }

    /// The guest: the echo actor with one export changed.
    fn wat(self) -> String {
        let spin = "(loop $l (br $l))";
        let (start, cleanup, message) = match self {
            Misbehaviour::Clean => ("", "", ""),
            Misbehaviour::Trap => ("", "", "unreachable"),
            Misbehaviour::OutOfFuel | Misbehaviour::Timeout => ("", "", spin),
            Misbehaviour::FailedStart => ("unreachable", "", ""),
            Misbehaviour::CleanupTimeout => ("", spin, ""),
            Misbehaviour::DeniedGrowth => ("", "", "(drop (memory.grow (i32.const 1)))"),
        };
        format!(
            r#"(module
  (memory (export "memory") 1)
  (func (export "_start") {start})
  (func (export "_cleanup") {cleanup})
  (func (export "_health") (result i32) (i32.const 0))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "handle-message") (param i32 i32) (result i64)
    {message}
    (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32))
            (i64.extend_i32_u (local.get 1)))))"#
        )
    }

    fn limits(self) -> Limits {
        let mut limits = Limits::default();
        match self {
            Misbehaviour::OutOfFuel => limits.fuel_per_call = 10_000,
            Misbehaviour::Timeout => {
                limits.fuel_per_call = lifecycle_contract::limits::UNLIMITED_FUEL;
                limits.call_timeout = SPIN;
            }
            Misbehaviour::DeniedGrowth => limits.max_memory_bytes = 64 * 1024,
            _ => {}
        }
        limits
    }
}

/// Counters of one soak run, as it goes.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Progress {
    pub cycles: u64,
    /// Instances alive after the last cycle (must be 0).
    pub live_instances: usize,
    /// Memory accounted to live instances after the last cycle (must be 0).
    pub accounted_memory_bytes: u64,
    /// Cycles whose guest behaved as its misbehaviour should not have let it: a start,
    /// message or stop that succeeded where it must fail, or failed where it must not.
    pub unexpected: u64,
    /// Pooled memories and instances in use, where the engine pools.
    pub pool_instances_in_use: Option<u64>,
    pub pool_memories_in_use: Option<usize>,
    pub pool_warm_memory_bytes_resident: Option<usize>,
}

/// A whole soak run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Report {
    pub progress: Progress,
    /// The footprint after [`BASELINE_CYCLES`] cycles (or the last, if fewer).
    pub baseline: Footprint,
    pub end: Footprint,
    pub rss_growth: f64,
    pub vm_size_growth: f64,
}

impl Report {
    /// Nothing live, nothing unexpected, nothing grown past [`TOLERANCE`].
    pub fn passed(&self) -> bool {
        self.progress.live_instances == 0
            && self.progress.accounted_memory_bytes == 0
            && self.progress.unexpected == 0
            && self.rss_growth <= TOLERANCE
            && self.vm_size_growth <= TOLERANCE
    }
}

/// Runs `cycles` cycles on `runtime`; `tell` sees the counters after each.
pub async fn run(
    runtime: &Runtime<Wasmtime>,
    cycles: u64,
    tell: &mut dyn FnMut(&Progress),
) -> Report {
    let guests: Vec<(Misbehaviour, ModuleSource)> = Misbehaviour::ALL
        .iter()
        .map(|&m| {
            let bytes = wat::parse_str(m.wat()).expect("the soak's guests are valid text");
            (m, ModuleSource::bytes(bytes))
        })
        .collect();
    let mut progress = Progress::default();
    let mut report = Report::default();
    let clean = &guests[0].1;
    let mut long_lived = runtime.component(clean.clone(), ComponentConfig::default());
    let alive = long_lived.start().await.is_ok();
    let long_lived_memory = runtime.counters().accounted_memory_bytes;
    for n in 0..cycles {
        let (misbehaviour, module) = &guests[(n % guests.len() as u64) as usize];
        let went_as_named = cycle(runtime, *misbehaviour, module).await;
        let served = long_lived.handle_message(b"still here").await.is_ok()
            && long_lived.health_check().await.status == lifecycle_contract::HealthStatus::Healthy;
        if !(went_as_named && served && alive) {
            progress.unexpected += 1;
        }
        progress.cycles = n + 1;
        let counters = runtime.counters();
        // Everything but the long-lived component.
        progress.live_instances = counters.live_instances.saturating_sub(1);
        progress.accounted_memory_bytes = counters
            .accounted_memory_bytes
            .saturating_sub(long_lived_memory);
        if let Some(pool) = runtime.engine().engine().pooling_allocator_metrics() {
            progress.pool_instances_in_use = Some(pool.core_instances());
            progress.pool_memories_in_use = Some(pool.memories());
            progress.pool_warm_memory_bytes_resident = Some(pool.unused_memory_bytes_resident());
        }
        if progress.cycles == BASELINE_CYCLES.min(cycles) {
            report.baseline = footprint().unwrap_or_default();
        }
        tell(&progress);
    }
    report.end = footprint().unwrap_or_default();
    if long_lived.stop(SPIN).await.is_err() {
        progress.unexpected += 1;
    }
    let counters = runtime.counters();
    progress.live_instances = counters.live_instances;
    progress.accounted_memory_bytes = counters.accounted_memory_bytes;
    read_pool(runtime, &mut progress);
    let growth = |end: u64, base: u64| match base {
        0 => 0.0,
        base => (end as f64 - base as f64) / base as f64,
    };
    report.rss_growth = growth(report.end.rss_bytes, report.baseline.rss_bytes);
    report.vm_size_growth = growth(report.end.vm_size_bytes, report.baseline.vm_size_bytes);
    report.progress = progress;
    report
}

/// The pool's counters, where the engine pools.
fn read_pool(runtime: &Runtime<Wasmtime>, progress: &mut Progress) {
    if let Some(pool) = runtime.engine().engine().pooling_allocator_metrics() {
        progress.pool_instances_in_use = Some(pool.core_instances());
        progress.pool_memories_in_use = Some(pool.memories());
        progress.pool_warm_memory_bytes_resident = Some(pool.unused_memory_bytes_resident());
    }
}

/// One cycle: start, a message, stop. Whether each step went as `misbehaviour` says.
async fn cycle(
    runtime: &Runtime<Wasmtime>,
    misbehaviour: Misbehaviour,
    module: &ModuleSource,
) -> bool {
    let config = ComponentConfig {
        limits: misbehaviour.limits(),
        ..ComponentConfig::default()
    };
    let mut actor = runtime.component(module.clone(), config);
    let started = actor.start().await.is_ok();
    if misbehaviour == Misbehaviour::FailedStart {
        return !started;
    }
    let replied = started && actor.handle_message(b"soak").await.is_ok();
    let denied = actor
        .events()
        .iter()
        .any(|e| matches!(e, lifecycle_contract::Event::GrowthDenied { .. }));
    if denied != (misbehaviour == Misbehaviour::DeniedGrowth) {
        return false;
    }
    let message_fails = matches!(
        misbehaviour,
        Misbehaviour::Trap | Misbehaviour::OutOfFuel | Misbehaviour::Timeout
    );
    let stopped = actor.stop(SPIN).await;
    let stop_as_expected = match misbehaviour {
        // A failed component has nothing to clean up; stop just terminates it.
        _ if message_fails => true,
        Misbehaviour::CleanupTimeout => stopped.is_ok_and(|warnings| !warnings.is_empty()),
        _ => stopped.is_ok_and(|warnings| warnings.is_empty()),
    };
    started && replied != message_fails && stop_as_expected
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every misbehaviour does what it is named for: a runtime that let a guest
    /// misbehave unnoticed would count it as unexpected.
    #[tokio::test]
    async fn each_misbehaviour_goes_as_named_and_nothing_stays_live() {
        let runtime = Runtime::<Wasmtime>::new().unwrap();
        for m in Misbehaviour::ALL {
            let bytes = ModuleSource::bytes(wat::parse_str(m.wat()).unwrap());
            assert!(cycle(&runtime, m, &bytes).await, "{}", m.name());
            assert_eq!(runtime.counters().live_instances, 0, "{}", m.name());
        }
        // A clean guest under a denied-growth check would be noticed.
        let clean = ModuleSource::bytes(wat::parse_str(Misbehaviour::Clean.wat()).unwrap());
        assert!(!cycle(&runtime, Misbehaviour::Trap, &clean).await);
    }

    #[tokio::test]
    async fn a_short_soak_reports_its_counters() {
        let runtime = Runtime::<Wasmtime>::new().unwrap();
        let mut seen = 0;
        let report = run(&runtime, 14, &mut |_| seen += 1).await;
        assert_eq!((seen, report.progress.cycles), (14, 14));
        assert_eq!(report.progress.unexpected, 0);
        assert!(report.progress.pool_instances_in_use.is_some());
        assert!(report.baseline.rss_bytes > 0);
    }
}
