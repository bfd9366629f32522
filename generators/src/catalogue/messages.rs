//! SPEC.md §3, LC-MSG-*: the message ABI, every bounds check, and fatal failures in `alloc` and
//! `handle-message`.

use super::{SPIN_FUEL, SPIN_TIMEOUT, clause};
use crate::scenario::Scenario;
use crate::spec::{Behaviour, ModuleSpec, Trap};
use lifecycle_contract::Profile;

pub fn scenarios() -> Vec<Scenario> {
    let c = clause::MESSAGES;
    let echo = || ModuleSpec::actor(Behaviour::Echo);
    let replying = |b: Behaviour| ModuleSpec::actor(b);
    let mut out = vec![
        Scenario::new("echo", c, "replies with each message", echo())
            .send("hello")
            .send("world"),
        Scenario::new(
            "echo-empty-message",
            c,
            "an empty message: len 0 reply, so no reply",
            echo(),
        )
        .send(""),
        Scenario::new(
            "echo-at-size-limit",
            c,
            "an 8-byte message and reply under an 8-byte limit",
            echo(),
        )
        .send("12345678")
        .limits(|l| l.max_message_bytes = 8),
        Scenario::new(
            "message-too-large",
            c,
            "a 9-byte message under an 8-byte limit: rejected before `alloc`",
            echo(),
        )
        .send("123456789")
        .send("ok")
        .limits(|l| l.max_message_bytes = 8),
        Scenario::new(
            "no-reply",
            c,
            "`handle-message` returns 0",
            replying(Behaviour::Return),
        )
        .send("x"),
        Scenario::new(
            "zero-length-reply-with-pointer",
            c,
            "length 0 means no reply, whatever the pointer",
            replying(Behaviour::reply(0x7fff_ffff, 0)),
        )
        .send("x"),
        Scenario::new(
            "reply-from-memory",
            c,
            "a 4-byte reply at address 0 of fresh memory: zeros",
            replying(Behaviour::reply(0, 4)),
        )
        .send("x"),
        Scenario::new(
            "app-error",
            c,
            "`handle-message` returns -1: message_error code 1, stays ready",
            replying(Behaviour::app_error(1)),
        )
        .send("x")
        .send("y")
        .health(),
        Scenario::new(
            "app-error-42",
            c,
            "`handle-message` returns -42: code 42",
            replying(Behaviour::app_error(42)),
        )
        .send("x"),
        Scenario::new(
            "app-error-most-negative",
            c,
            "`handle-message` returns i64::MIN: code 2^63",
            replying(Behaviour::Value(i64::MIN)),
        )
        .send("x"),
        Scenario::new(
            "app-error-most-negative-plus-one",
            c,
            "`handle-message` returns i64::MIN + 1: code 2^63 - 1",
            replying(Behaviour::Value(i64::MIN + 1)),
        )
        .send("x"),
        Scenario::new(
            "reply-out-of-bounds-start",
            c,
            "the reply starts past the end of memory",
            replying(Behaviour::reply(65_536, 1)),
        )
        .send("x"),
        Scenario::new(
            "reply-out-of-bounds-end",
            c,
            "the reply runs past the end of memory",
            replying(Behaviour::reply(65_535, 2)),
        )
        .send("x"),
        Scenario::new(
            "reply-huge-length",
            c,
            "the reply claims 4 GiB",
            replying(Behaviour::reply(0, u32::MAX)),
        )
        .send("x"),
        Scenario::new(
            "reply-too-large",
            c,
            "a 17-byte reply under a 16-byte limit",
            replying(Behaviour::reply(1024, 17)),
        )
        .send("x")
        .limits(|l| l.max_message_bytes = 16),
        Scenario::new(
            "reply-at-size-limit",
            c,
            "a 16-byte reply under a 16-byte limit",
            replying(Behaviour::reply(1024, 16)),
        )
        .send("x")
        .limits(|l| l.max_message_bytes = 16),
        Scenario::new(
            "alloc-out-of-bounds",
            c,
            "`alloc` returns a pointer 2 bytes before the end for 5 bytes",
            echo().alloc(Behaviour::Value(65_534)),
        )
        .send("hello")
        .send("again"),
        Scenario::new(
            "alloc-negative-pointer",
            c,
            "`alloc` returns -1",
            echo().alloc(Behaviour::Value(-1)),
        )
        .send("hello"),
        Scenario::new(
            "alloc-at-end",
            c,
            "`alloc` returns the last 5 bytes of memory: fits",
            echo().alloc(Behaviour::Value(65_531)),
        )
        .send("hello"),
        Scenario::new(
            "alloc-one-past-end",
            c,
            "`alloc` returns 5 bytes that end one past the end of memory",
            echo().alloc(Behaviour::Value(65_532)),
        )
        .send("hello"),
        Scenario::new(
            "alloc-at-end-empty-message",
            c,
            "an empty message, `alloc` pointing at the end of memory: in bounds, no reply",
            echo().alloc(Behaviour::Value(65_536)),
        )
        .send(""),
        Scenario::new(
            "alloc-spins-out-of-fuel",
            c,
            "`alloc` loops: fuel runs out, the component fails",
            echo().alloc(Behaviour::Spin),
        )
        .send("x")
        .send("y")
        .limits(|l| l.fuel_per_call = SPIN_FUEL),
        Scenario::new(
            "alloc-spins-past-timeout",
            c,
            "`alloc` loops with unlimited fuel: the call timeout interrupts it",
            echo().alloc(Behaviour::Spin),
        )
        .send("x")
        .limits(|l| {
            l.fuel_per_call = u64::MAX;
            l.call_timeout = SPIN_TIMEOUT;
        }),
        Scenario::new(
            "handle-message-spins-out-of-fuel",
            c,
            "`handle-message` loops: fuel runs out, the component fails",
            replying(Behaviour::Spin),
        )
        .send("x")
        .health()
        .limits(|l| l.fuel_per_call = SPIN_FUEL),
        Scenario::new(
            "handle-message-spins-past-timeout",
            c,
            "`handle-message` loops with unlimited fuel: the call timeout interrupts it",
            replying(Behaviour::Spin),
        )
        .send("x")
        .limits(|l| {
            l.fuel_per_call = u64::MAX;
            l.call_timeout = SPIN_TIMEOUT;
        }),
        Scenario::new(
            "missing-handle-message",
            c,
            "a message to a component without `handle-message`: stays ready",
            ModuleSpec::new().start(Behaviour::Return),
        )
        .send("x")
        .send("y")
        .health(),
        Scenario::new(
            "second-message-traps",
            c,
            "echoes the first message, traps on the second, refuses the third",
            echo().handle_message(Behaviour::OnCall {
                nth: 2,
                then: Box::new(Behaviour::Trap(Trap::Unreachable)),
                otherwise: Box::new(Behaviour::Echo),
            }),
        )
        .send("one")
        .send("two")
        .send("three"),
        Scenario::new(
            "messages-after-failed-start",
            c,
            "`_start` traps: every message is invalid_state",
            echo().start(Behaviour::Trap(Trap::Unreachable)),
        )
        .send("x")
        .send("y"),
        Scenario::new(
            "bump-allocator-moves",
            c,
            "`alloc` bumps: each reply echoes its own message",
            echo(),
        )
        .send("first")
        .send("second")
        .send("third"),
        Scenario::new(
            "grow-memory-allowed",
            c,
            "grows 1 page under a 4-page limit: old size 1",
            replying(Behaviour::GrowMemory(1)),
        )
        .send("x")
        .send("y")
        .limits(|l| l.max_memory_bytes = 4 * 65_536),
        Scenario::new(
            "grow-memory-denied",
            c,
            "grows 4 pages under a 4-page limit: -1, no trap, stays ready",
            replying(Behaviour::GrowMemory(4)),
        )
        .send("x")
        .send("y")
        .limits(|l| l.max_memory_bytes = 4 * 65_536),
        Scenario::new(
            "grow-memory-past-module-maximum",
            c,
            "grows past the memory's own maximum: -1",
            ModuleSpec::actor(Behaviour::GrowMemory(2)).memory(1, Some(2)),
        )
        .send("x"),
        Scenario::new(
            "grow-memory-to-limit",
            c,
            "grows 1 -> 2 pages under a 2-page limit: exactly the limit is allowed",
            replying(Behaviour::GrowMemory(1)),
        )
        .send("x")
        .limits(|l| l.max_memory_bytes = 2 * 65_536),
        Scenario::new(
            "grow-memory-by-zero",
            c,
            "grows by 0 at the limit: returns the size",
            replying(Behaviour::GrowMemory(0)),
        )
        .send("x")
        .limits(|l| l.max_memory_bytes = 65_536),
        Scenario::new(
            "grow-table-allowed",
            c,
            "grows the table 2 -> 4 under a 4-element limit",
            replying(Behaviour::GrowTable(2)),
        )
        .send("x")
        .profile(Profile::Standard)
        .limits(|l| l.max_table_elements = 4),
        Scenario::new(
            "grow-table-denied",
            c,
            "grows the table 2 -> 4 twice under a 4-element limit: the second is -1",
            replying(Behaviour::GrowTable(2)),
        )
        .send("x")
        .send("y")
        .profile(Profile::Standard)
        .limits(|l| l.max_table_elements = 4),
        Scenario::new(
            "first-message-app-error-then-echo",
            c,
            "an application error does not fail the component",
            echo().handle_message(Behaviour::OnCall {
                nth: 1,
                then: Box::new(Behaviour::app_error(7)),
                otherwise: Box::new(Behaviour::Echo),
            }),
        )
        .send("one")
        .send("two"),
    ];
    for trap in Trap::ALL {
        out.push(
            Scenario::new(
                format!("handle-message-traps-{}", trap.name()),
                c,
                format!(
                    "`handle-message` traps ({}): the component fails",
                    trap.code()
                ),
                replying(Behaviour::Trap(trap)).cleanup(Behaviour::Trap(Trap::Unreachable)),
            )
            .send("x")
            .send("y")
            .health(),
        );
    }
    for trap in Trap::ALL {
        out.push(
            Scenario::new(
                format!("alloc-traps-{}", trap.name()),
                c,
                format!("`alloc` traps ({}): the component fails", trap.code()),
                echo().alloc(Behaviour::Trap(trap)),
            )
            .send("x")
            .send("y"),
        );
    }
    out
}
