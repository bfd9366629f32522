//! SPEC.md §1, §3 (LC-HEALTH-*), §4 and §5: whole lifecycles, health, fuel, and stop.

use super::{SPIN_FUEL, SPIN_TIMEOUT, clause};
use crate::scenario::Scenario;
use crate::spec::{Behaviour, ModuleSpec, Trap};

fn health() -> Vec<Scenario> {
    let c = clause::HEALTH;
    let with = |b: Behaviour| ModuleSpec::new().health(b);
    let mut out = vec![
        Scenario::new(
            "health-absent",
            c,
            "no `_health`: a ready component is healthy",
            ModuleSpec::new(),
        )
        .health(),
        Scenario::new(
            "health-after-failed-start",
            c,
            "start failed: unhealthy without a call",
            with(Behaviour::Return).start(Behaviour::Trap(Trap::Unreachable)),
        )
        .health(),
        Scenario::new(
            "health-after-failed-message",
            c,
            "a message trapped: unhealthy without a call",
            ModuleSpec::actor(Behaviour::Trap(Trap::Unreachable)).health(Behaviour::Return),
        )
        .send("x")
        .health(),
        Scenario::new(
            "health-spins-out-of-fuel",
            c,
            "`_health` loops: unhealthy (fuel_exhausted), still ready",
            with(Behaviour::Spin),
        )
        .health()
        .limits(|l| l.fuel_per_call = SPIN_FUEL),
        Scenario::new(
            "health-spins-past-timeout",
            c,
            "`_health` loops with unlimited fuel: unhealthy (execution_timeout)",
            with(Behaviour::Spin),
        )
        .health()
        .limits(|l| {
            l.fuel_per_call = u64::MAX;
            l.health_timeout = SPIN_TIMEOUT;
        }),
        Scenario::new(
            "health-failure-keeps-serving",
            c,
            "`_health` traps; messages still work",
            ModuleSpec::actor(Behaviour::Echo).health(Behaviour::Trap(Trap::Unreachable)),
        )
        .health()
        .send("still here"),
    ];
    for (name, code) in [
        ("healthy", 0),
        ("degraded", 1),
        ("unhealthy", 2),
        ("unknown-3", 3),
        ("unknown-negative", -1),
        ("unknown-most-negative", i64::from(i32::MIN)),
        ("unknown-most-positive", i64::from(i32::MAX)),
    ] {
        out.push(
            Scenario::new(
                format!("health-code-{name}"),
                c,
                format!("`_health` returns {code}"),
                with(Behaviour::Value(code)),
            )
            .health(),
        );
    }
    for trap in Trap::ALL {
        out.push(
            Scenario::new(
                format!("health-traps-{}", trap.name()),
                c,
                format!("`_health` traps ({}): unhealthy, still ready", trap.code()),
                with(Behaviour::Trap(trap)),
            )
            .health(),
        );
    }
    out
}

fn stop() -> Vec<Scenario> {
    let c = clause::STOP;
    let with = |b: Behaviour| ModuleSpec::new().cleanup(b);
    let mut out = vec![
        Scenario::new(
            "cleanup-returns",
            c,
            "`_cleanup` runs once at stop",
            with(Behaviour::Return),
        ),
        Scenario::new(
            "cleanup-absent",
            c,
            "no `_cleanup`: stop terminates",
            ModuleSpec::new(),
        ),
        Scenario::new(
            "cleanup-spins-out-of-fuel",
            c,
            "`_cleanup` loops: cleanup_fuel_exhausted warning, terminated",
            with(Behaviour::Spin),
        )
        .limits(|l| l.fuel_per_call = SPIN_FUEL),
        Scenario::new(
            "cleanup-spins-past-timeout",
            c,
            "`_cleanup` loops with unlimited fuel: cleanup_timeout warning, terminated",
            with(Behaviour::Spin),
        )
        .limits(|l| l.fuel_per_call = u64::MAX)
        .stop_timeout(SPIN_TIMEOUT),
        Scenario::new(
            "cleanup-skipped-after-failed-start",
            c,
            "start failed: `_cleanup` (which would trap) never runs",
            with(Behaviour::Trap(Trap::Unreachable)).start(Behaviour::Trap(Trap::Unreachable)),
        ),
        Scenario::new(
            "cleanup-skipped-after-failed-message",
            c,
            "a message trapped: `_cleanup` never runs",
            ModuleSpec::actor(Behaviour::Trap(Trap::Unreachable))
                .cleanup(Behaviour::Trap(Trap::Unreachable)),
        )
        .send("x"),
        Scenario::new(
            "cleanup-after-app-error",
            c,
            "an application error keeps the component ready, so `_cleanup` runs",
            ModuleSpec::actor(Behaviour::app_error(3)).cleanup(Behaviour::Trap(Trap::Unreachable)),
        )
        .send("x"),
        Scenario::new(
            "cleanup-grows-memory",
            c,
            "`_cleanup` grows memory and returns",
            with(Behaviour::GrowMemory(1)),
        ),
    ];
    for trap in Trap::ALL {
        out.push(Scenario::new(
            format!("cleanup-traps-{}", trap.name()),
            c,
            format!(
                "`_cleanup` traps ({}): cleanup_trapped warning, terminated",
                trap.code()
            ),
            with(Behaviour::Trap(trap)),
        ));
    }
    out
}

fn limits() -> Vec<Scenario> {
    let c = clause::LIMITS;
    // 30k iterations cost at most 960k fuel (at the oracle's dearest, 32 an iteration),
    // so each call surely fits its budget of 1M; seven of them in one budget fit only on
    // an engine charging under 5 an iteration (Wasmtime charges 8). The calibrated
    // `fuel-fresh-for-*` scenarios catch fuel set once whatever a call costs.
    let unit = Behaviour::Burn(30_000);
    vec![
        Scenario::new(
            "fuel-refilled-before-every-call",
            c,
            "every call does 30k iterations under 1M fuel: fine only if refilled each time",
            ModuleSpec::actor(unit.clone())
                .start(unit.clone())
                .health(unit.clone())
                .cleanup(unit.clone())
                .alloc(Behaviour::Return)
                .start_section(unit),
        )
        .send("a")
        .send("b")
        .send("c")
        .health()
        .limits(|l| l.fuel_per_call = 1_000_000),
        Scenario::new(
            "fuel-exhausted-by-one-call",
            c,
            "one message does 1M iterations under 1M fuel",
            ModuleSpec::actor(Behaviour::Burn(1_000_000)),
        )
        .send("x")
        .limits(|l| l.fuel_per_call = 1_000_000),
        Scenario::new(
            "stack-overflow-in-message",
            c,
            "unbounded recursion in `handle-message`: trapped stack_overflow",
            ModuleSpec::actor(Behaviour::Trap(Trap::StackOverflow)),
        )
        .send("x"),
        Scenario::new(
            "memory-limit-zero",
            c,
            "no memory allowed at all: a 1-page memory cannot instantiate",
            ModuleSpec::actor(Behaviour::Echo),
        )
        .limits(|l| l.max_memory_bytes = 0),
        Scenario::new(
            "memory-limit-zero-without-memory",
            c,
            "no memory allowed, none declared: starts",
            ModuleSpec::new().start(Behaviour::Return),
        )
        .limits(|l| l.max_memory_bytes = 0),
    ]
}

fn states() -> Vec<Scenario> {
    let c = clause::STATES;
    let full = || {
        ModuleSpec::actor(Behaviour::Echo)
            .start(Behaviour::Return)
            .cleanup(Behaviour::Return)
            .health(Behaviour::Return)
    };
    vec![
        Scenario::new(
            "full-lifecycle",
            c,
            "every export behaves: start, two messages, health, stop",
            full(),
        )
        .send("hello")
        .send("world")
        .health(),
        Scenario::new("start-only", c, "start and stop, nothing else", full()),
        Scenario::new(
            "start-fine-second-message-traps-cleanup-loops",
            c,
            "the second message traps, so the looping `_cleanup` is never reached",
            full()
                .handle_message(Behaviour::on_call(
                    2,
                    Behaviour::Trap(Trap::IntegerDivideByZero),
                ))
                .cleanup(Behaviour::Spin),
        )
        .send("one")
        .send("two")
        .health()
        .limits(|l| l.fuel_per_call = SPIN_FUEL),
        Scenario::new(
            "failed-start-then-everything",
            c,
            "start fails: messages invalid_state, health unhealthy, stop terminates",
            full().start(Behaviour::Trap(Trap::Unreachable)),
        )
        .send("x")
        .health(),
        Scenario::new(
            "failed-message-then-everything",
            c,
            "a message fails the component: the rest is refused",
            full().handle_message(Behaviour::Trap(Trap::Unreachable)),
        )
        .send("x")
        .send("y")
        .health(),
    ]
}

pub fn scenarios() -> Vec<Scenario> {
    let mut out = states();
    out.extend(health());
    out.extend(stop());
    out.extend(limits());
    out
}
