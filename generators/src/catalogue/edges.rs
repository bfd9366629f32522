//! SPEC.md §4 (LC-LIMIT-*) at its edges, and every guest entry point on its own: growth exactly at a
//! limit and one unit past it, seen from `_start`, `_health`, `_cleanup` and the wasm
//! `start` section (no message needed, so a runtime whose message path is broken still
//! gets a verdict); a fresh fuel budget for each entry, whatever a call costs on the
//! engine (calibrated by the guest itself); a deadline for each entry, re-armed after a
//! timeout.

use super::{SPIN_FUEL, SPIN_TIMEOUT, clause};
use crate::scenario::Scenario;
use crate::spec::{Behaviour, Entry, Export, Feature, ImportKind, ModuleSpec, Trap};
use lifecycle_contract::Profile;

const PAGE: u64 = 65_536;

/// `_health` that counts how many loop iterations one fuel budget buys on its first
/// call (and runs out of fuel doing so), then burns three quarters of that on every
/// later call: each later call is fine only on a budget of its own.
pub(crate) fn calibrated_health() -> Behaviour {
    Behaviour::OnCall {
        nth: 1,
        then: Box::new(Behaviour::Calibrate),
        otherwise: Box::new(Behaviour::BurnCalibrated(75)),
    }
}

fn growth() -> Vec<Scenario> {
    let c = clause::LIMITS;
    // A 3-page memory, so that `_health`'s code (the old size, or -1) tells the cases
    // apart: 3 is "unknown health code 3", -1 is "unknown health code -1".
    let memory = |b: Behaviour| ModuleSpec::new().memory(3, None).health(b);
    let four_pages = |l: &mut lifecycle_contract::Limits| l.max_memory_bytes = 4 * PAGE;
    let table = |b: Behaviour| ModuleSpec::new().table(3, None).health(b);
    let four_elements = |l: &mut lifecycle_contract::Limits| l.max_table_elements = 4;
    vec![
        Scenario::new(
            "health-grows-memory-to-the-limit",
            c,
            "`_health` grows a 3-page memory by 1 under a 4-page limit (old size 3), then again (-1)",
            memory(Behaviour::GrowMemory(1)),
        )
        .health()
        .limits(four_pages),
        Scenario::new(
            "health-grows-memory-past-the-limit",
            c,
            "`_health` grows a 3-page memory by 2 under a 4-page limit: -1, no trap",
            memory(Behaviour::GrowMemory(2)),
        )
        .health()
        .limits(four_pages),
        Scenario::new(
            "health-grows-memory-past-a-partial-page-limit",
            c,
            "a limit of 3.5 pages: growing 3 pages to 4 is refused (-1), not rounded up",
            memory(Behaviour::GrowMemory(1)),
        )
        .health()
        .limits(|l| l.max_memory_bytes = 3 * PAGE + PAGE / 2),
        Scenario::new(
            "health-grows-memory-past-its-own-maximum",
            c,
            "a memory of 3 pages, maximum 3, under a 10-page limit: growing is -1",
            ModuleSpec::new()
                .memory(3, Some(3))
                .health(Behaviour::GrowMemory(1)),
        )
        .health()
        .limits(|l| l.max_memory_bytes = 10 * PAGE),
        Scenario::new(
            "memory-maximum-above-the-limit",
            c,
            "a memory whose declared maximum (100 pages) exceeds a 4-page limit starts, and grows to the limit only",
            ModuleSpec::new()
                .memory(3, Some(100))
                .health(Behaviour::GrowMemory(1)),
        )
        .health()
        .limits(four_pages),
        Scenario::new(
            "memory-initial-over-a-partial-page-limit",
            c,
            "a 4-page memory under a 3.5-page limit cannot instantiate",
            ModuleSpec::new().memory(4, None).start(Behaviour::Return),
        )
        .limits(|l| l.max_memory_bytes = 3 * PAGE + PAGE / 2),
        Scenario::new(
            "start-grows-memory-to-the-limit",
            c,
            "`_start` grows 3 pages to 4 under a 4-page limit, and would trap if refused",
            ModuleSpec::new()
                .memory(3, None)
                .start(Behaviour::GrowMemoryOrTrap(1)),
        )
        .limits(four_pages),
        Scenario::new(
            "start-grows-memory-past-the-limit",
            c,
            "`_start` grows 3 pages to 5 under a 4-page limit: refused, so it traps (unreachable)",
            ModuleSpec::new()
                .memory(3, None)
                .start(Behaviour::GrowMemoryOrTrap(2)),
        )
        .limits(four_pages),
        Scenario::new(
            "cleanup-grows-memory-to-the-limit",
            c,
            "`_cleanup` grows 3 pages to 4 under a 4-page limit: no warning",
            ModuleSpec::new()
                .memory(3, None)
                .cleanup(Behaviour::GrowMemoryOrTrap(1)),
        )
        .limits(four_pages),
        Scenario::new(
            "cleanup-grows-memory-past-the-limit",
            c,
            "`_cleanup` grows 3 pages to 5 under a 4-page limit: refused, it traps, a warning",
            ModuleSpec::new()
                .memory(3, None)
                .cleanup(Behaviour::GrowMemoryOrTrap(2)),
        )
        .limits(four_pages),
        Scenario::new(
            "start-section-grows-memory-to-the-limit",
            c,
            "the start section grows 3 pages to 4 under a 4-page limit",
            ModuleSpec::new()
                .memory(3, None)
                .start_section(Behaviour::GrowMemoryOrTrap(1)),
        )
        .limits(four_pages),
        Scenario::new(
            "start-section-grows-memory-past-the-limit",
            c,
            "the start section's growth is refused and it traps: trapped (unreachable) at instantiate, not resource_limit_exceeded",
            ModuleSpec::new()
                .memory(3, None)
                .start_section(Behaviour::GrowMemoryOrTrap(2)),
        )
        .limits(four_pages),
        Scenario::new(
            "health-grows-table-to-the-limit",
            c,
            "`_health` grows a 3-element table by 1 under a 4-element limit (old size 3), then again (-1)",
            table(Behaviour::GrowTable(1)),
        )
        .health()
        .profile(Profile::Standard)
        .limits(four_elements),
        Scenario::new(
            "health-grows-table-past-the-limit",
            c,
            "`_health` grows a 3-element table by 2 under a 4-element limit: -1",
            table(Behaviour::GrowTable(2)),
        )
        .health()
        .profile(Profile::Standard)
        .limits(four_elements),
        Scenario::new(
            "health-grows-table-past-its-own-maximum",
            c,
            "a table of 3 elements, maximum 3, under the default limit: growing is -1",
            ModuleSpec::new()
                .table(3, Some(3))
                .health(Behaviour::GrowTable(1)),
        )
        .health()
        .profile(Profile::Standard),
        Scenario::new(
            "start-grows-table-past-the-limit",
            c,
            "`_start` grows a 3-element table by 2 under a 4-element limit: refused, it traps",
            ModuleSpec::new()
                .table(3, None)
                .start(Behaviour::GrowTableOrTrap(2)),
        )
        .profile(Profile::Standard)
        .limits(four_elements),
        Scenario::new(
            "cleanup-grows-table-to-the-limit",
            c,
            "`_cleanup` grows a 3-element table to 4 under a 4-element limit: no warning",
            ModuleSpec::new()
                .table(3, None)
                .cleanup(Behaviour::GrowTableOrTrap(1)),
        )
        .profile(Profile::Standard)
        .limits(four_elements),
    ]
}

fn fuel() -> Vec<Scenario> {
    let c = clause::LIMITS;
    let budget = |l: &mut lifecycle_contract::Limits| l.fuel_per_call = SPIN_FUEL;
    let burn = Behaviour::BurnCalibrated(75);
    vec![
        Scenario::new(
            "fuel-fresh-for-every-health-check",
            c,
            "`_health` counts one budget, then burns 3/4 of one on each later call: each needs its own",
            ModuleSpec::new().health(calibrated_health()),
        )
        .health()
        .limits(budget),
        Scenario::new(
            "fuel-fresh-for-cleanup",
            c,
            "after a health check burned 3/4 of its budget, `_cleanup` burns 3/4 of one: no warning only on a budget of its own",
            ModuleSpec::new()
                .health(calibrated_health())
                .cleanup(burn.clone()),
        )
        .health()
        .limits(budget),
        Scenario::new(
            "fuel-fresh-for-alloc",
            c,
            "`alloc` burns 3/4 of a calibrated budget before each message: each needs its own",
            ModuleSpec::actor(Behaviour::Echo)
                .alloc(burn.clone())
                .health(calibrated_health()),
        )
        .health()
        .send("a")
        .send("b")
        .limits(budget),
        Scenario::new(
            "fuel-fresh-for-handle-message",
            c,
            "`alloc` and `handle-message` each burn 3/4 of a budget: one message, two budgets",
            ModuleSpec::actor(burn.clone())
                .alloc(burn.clone())
                .health(calibrated_health()),
        )
        .health()
        .send("a")
        .send("b")
        .limits(budget),
        Scenario::new(
            "fuel-fresh-after-exhaustion",
            c,
            "a health check runs out of fuel; messages, health and `_cleanup` after it get full budgets",
            ModuleSpec::actor(Behaviour::Echo)
                .health(calibrated_health())
                .cleanup(burn),
        )
        .health()
        .send("still here")
        .limits(budget),
    ]
}

/// Iterations the start section and `_start` each burn, one scenario per rung, under a
/// budget of [`LADDER_FUEL`]: steps of about √2 from 30k to 480k, so that for any engine
/// charging 1 to 33 fuel an iteration (Wasmtime charges 8), some rung has each burn fit
/// one budget and both together not.
pub const LADDER: [u64; 9] = [
    30_000, 42_000, 60_000, 85_000, 120_000, 170_000, 240_000, 340_000, 480_000,
];
pub const LADDER_FUEL: u64 = 1_000_000;

/// The start section and `_start` on budgets of their own. A guest cannot count a budget
/// before it is ready (a calibration runs out of fuel, which fails a start), so each rung
/// burns a fixed amount twice; where the engine's fuel cost decides, the oracle allows
/// both fitting or the start section running out, never `_start` alone running out.
fn start_ladder() -> Vec<Scenario> {
    LADDER
        .into_iter()
        .map(|n| {
            Scenario::new(
                format!("start-section-and-start-burn-{}k", n / 1000),
                clause::LIMITS,
                format!(
                    "the start section and `_start` each burn {n} iterations under 1M fuel: both fit, or the start section runs out, never `_start` alone"
                ),
                ModuleSpec::new()
                    .start_section(Behaviour::Burn(n))
                    .start(Behaviour::Burn(n)),
            )
            .limits(|l| l.fuel_per_call = LADDER_FUEL)
        })
        .collect()
}

/// Iterations a lingering call runs: about a quarter of a second on Wasmtime here (at 8
/// fuel an iteration, 2.4 G fuel), far longer on an interpreter. Against the deadline
/// below it is long enough that a deadline armed again after it is late by more than
/// the contract's precision, and short enough to finish inside the deadline on a machine
/// seven times slower (a saturated CI runner), so the outcome does not turn on speed.
pub const LINGER: u64 = 300_000_000;

/// The deadline a lingering call and the looping one after it share.
const LINGER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

fn deadlines() -> Vec<Scenario> {
    let c = clause::LIMITS;
    let spin_once = Behaviour::on_call(1, Behaviour::Spin);
    vec![
        Scenario::new(
            "start-section-lingers-then-start-loops",
            c,
            "the start section runs a long loop, `_start` never returns: one start timeout covers both, so `_start` times out a limit after the start began (or the start section does)",
            ModuleSpec::new()
                .start_section(Behaviour::Linger(LINGER))
                .start(Behaviour::Spin),
        )
        .limits(|l| {
            l.fuel_per_call = u64::MAX;
            l.start_timeout = LINGER_DEADLINE;
        }),
        Scenario::new(
            "alloc-lingers-then-handle-message-loops",
            c,
            "`alloc` runs a long loop, `handle-message` never returns: one call timeout covers both, so the message times out a limit after it began",
            ModuleSpec::actor(Behaviour::Spin).alloc(Behaviour::Linger(LINGER)),
        )
        .send("x")
        .limits(|l| {
            l.fuel_per_call = u64::MAX;
            l.call_timeout = LINGER_DEADLINE;
        }),
        Scenario::new(
            "unlimited-fuel-is-unlimited",
            c,
            "`_start` loops through more than 10^9 fuel under unlimited fuel: it returns or times out, never runs out of fuel",
            ModuleSpec::new().start(Behaviour::Linger(150_000_000)),
        )
        .limits(|l| l.fuel_per_call = u64::MAX),
        Scenario::new(
            "health-timeout-then-serve",
            c,
            "`_health` times out once; messages, health and `_cleanup` after it run on deadlines of their own",
            ModuleSpec::actor(Behaviour::Echo)
                .health(spin_once)
                .cleanup(Behaviour::Return),
        )
        .health()
        .send("still here")
        .limits(|l| {
            l.fuel_per_call = u64::MAX;
            l.health_timeout = SPIN_TIMEOUT;
        }),
    ]
}

fn odds_and_ends() -> Vec<Scenario> {
    let messages = clause::MESSAGES;
    let start = clause::START;
    vec![
        Scenario::new(
            "reply-ends-at-memory-end",
            messages,
            "a reply of the last 4 bytes of memory: in bounds, 4 zero bytes",
            ModuleSpec::actor(Behaviour::reply(65_532, 4)),
        )
        .send("x"),
        Scenario::new(
            "zero-length-reply-at-memory-end",
            messages,
            "a zero-length reply pointing at the end of memory: no reply",
            ModuleSpec::actor(Behaviour::reply(65_536, 0)),
        )
        .send("x"),
        Scenario::new(
            "reply-bounds-wrap-32-bits",
            messages,
            "a reply whose pointer plus length wraps past 2^32: out of bounds (checked before size)",
            ModuleSpec::actor(Behaviour::reply(0x7fff_ffff, 0x8000_0002)),
        )
        .send("x"),
        Scenario::new(
            "reply-from-data-segment",
            messages,
            "a reply read from a data segment: the segment was applied",
            ModuleSpec::actor(Behaviour::reply(16, 4)).data(16, 4),
        )
        .send("x"),
        Scenario::new(
            "cleanup-after-rejected-message",
            clause::STOP,
            "a message refused by the host (alloc out of bounds) leaves the component ready: `_cleanup` runs",
            ModuleSpec::actor(Behaviour::Echo)
                .alloc(Behaviour::Value(65_535))
                .cleanup(Behaviour::Trap(Trap::Unreachable)),
        )
        .send("too long to fit"),
        Scenario::new(
            "import-wasi",
            clause::LINK,
            "a WASI import: the linker offers no host functions, not even WASI",
            ModuleSpec::new().import("wasi_snapshot_preview1", "fd_write", ImportKind::Func),
        ),
        Scenario::new(
            "link-checked-before-limits",
            clause::LINK,
            "an import and a memory over the limit: link_failed (link comes before instantiate)",
            ModuleSpec::new()
                .memory(3, None)
                .import("env", "f", ImportKind::Func),
        )
        .limits(|l| l.max_memory_bytes = 2 * PAGE),
        Scenario::new(
            "exports-checked-before-limits",
            start,
            "a wrong `_start` and a memory over the limit: bad_export (exports come before instantiate)",
            ModuleSpec::new()
                .memory(3, None)
                .export(Entry::Start, Export::WrongSignature),
        )
        .limits(|l| l.max_memory_bytes = 2 * PAGE),
        Scenario::new(
            "profile-checked-before-exports",
            clause::FEATURES,
            "SIMD under strict and a wrong `_start`: unsupported_feature (validation comes first)",
            ModuleSpec::new()
                .feature(Feature::Simd)
                .export(Entry::Start, Export::WrongSignature),
        ),
        Scenario::new(
            "malformed-beats-unsupported",
            clause::FEATURES,
            "SIMD under strict and an ill-typed body: malformed, not unsupported_feature",
            ModuleSpec::new()
                .feature(Feature::Simd)
                .invalid_body(),
        ),
        Scenario::new(
            "export-types-checked-before-message-needs",
            start,
            "`handle-message` without `alloc`, and a wrong `_health`: every export's type is checked before what `handle-message` needs",
            ModuleSpec::actor(Behaviour::Echo)
                .without(Entry::Alloc)
                .export(Entry::Health, Export::WrongSignature),
        ),
        Scenario::new(
            "too-large-message-without-handle-message",
            messages,
            "a message too large for the limit, to a component without `handle-message`: missing_export is checked first",
            ModuleSpec::new().start(Behaviour::Return),
        )
        .send("far too long")
        .limits(|l| l.max_message_bytes = 4),
        Scenario::new(
            "exported-mutable-globals-are-fine",
            clause::FEATURES,
            "exported mutable globals (MVP plus mutable-global) start",
            ModuleSpec::new().globals(3).start(Behaviour::Return),
        ),
    ]
}

/// SPEC §4's default column: scenarios under [`lifecycle_contract::Limits::default`],
/// so that a default changed in the one declaration moves an outcome (their literal rows
/// in `cases/tables.toml` hold SPEC's numbers). The wall clocks' defaults are not here:
/// an outcome does not show how long a timeout took.
fn defaults() -> Vec<Scenario> {
    let c = clause::LIMITS;
    vec![
        Scenario::new(
            "health-grows-memory-at-the-default-limit",
            c,
            "a memory of 1024 pages (64 MiB, the default limit, which is inclusive) starts; `_health` growing it by 1 gets -1",
            ModuleSpec::new()
                .memory(1024, None)
                .health(Behaviour::GrowMemory(1)),
        )
        .health(),
        Scenario::new(
            "health-grows-table-at-the-default-limit",
            c,
            "a table of 10 000 elements (the default limit) starts; `_health` growing it by 1 gets -1",
            ModuleSpec::new()
                .table(10_000, None)
                .health(Behaviour::GrowTable(1)),
        )
        .health()
        .profile(Profile::Standard),
        Scenario::new(
            "start-burns-within-the-default-fuel",
            c,
            "`_start` does 1M iterations under the default 100M fuel: it returns",
            ModuleSpec::new().start(Behaviour::Burn(1_000_000)),
        ),
        Scenario::new(
            "start-burns-past-the-default-fuel",
            c,
            "`_start` does 200M iterations under the default 100M fuel: fuel_exhausted",
            ModuleSpec::new().start(Behaviour::Burn(200_000_000)),
        ),
        Scenario::new(
            "reply-over-the-default-size-limit",
            clause::MESSAGES,
            "a reply of 1 MiB + 1 bytes from a 17-page memory, under the default limit (1 MiB): reply_too_large",
            ModuleSpec::actor(Behaviour::reply(0, (1 << 20) + 1)).memory(17, None),
        )
        .send("x"),
    ]
}

pub fn scenarios() -> Vec<Scenario> {
    let mut out = growth();
    out.extend(fuel());
    out.extend(start_ladder());
    out.extend(deadlines());
    out.extend(odds_and_ends());
    out.extend(defaults());
    out
}
