//! SPEC LC-TEARDOWN-2: over many start/stop cycles the process's resident and virtual memory
//! stay flat. Its own test binary, so no other test allocates while it measures.

mod common;

use common::*;
use std::time::Duration;

/// (VmSize, VmRSS) of this process, in KiB.
fn vm_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/self/status"))
    };
    (field("VmSize:"), field("VmRSS:"))
}

#[tokio::test]
async fn memory_stays_flat_over_many_start_stop_cycles() {
    let rt = runtime();
    let wat = actor(
        "(i64.const 0)",
        r#"(func (export "_start")) (func (export "_cleanup"))"#,
    )
    .replace(
        "(memory (export \"memory\") 1)",
        "(memory (export \"memory\") 16)",
    );
    let failing = r#"(module (memory 16) (func (export "_start") unreachable))"#;
    let cycle = |n: usize| {
        let (rt, wat) = (&rt, &wat);
        async move {
            for _ in 0..n {
                let mut c = ready(rt, wat, strict(|_| {})).await;
                c.handle_message(b"x").await.unwrap();
                c.stop(Duration::from_secs(1)).await.unwrap();
                let mut f = rt.component(module(failing), strict(|_| {}));
                f.start().await.unwrap_err();
                drop(ready(rt, wat, strict(|_| {})).await);
            }
        }
    };
    cycle(50).await; // warm up allocator pools and the module cache
    let before = vm_kib();
    cycle(500).await;
    let after = vm_kib();
    assert_released(&rt);
    // A leaked store holds its memory reservation (GiBs of address space with Wasmtime's
    // default on-demand allocator) and 1 MiB of touched pages: 1500 leaks would be
    // terabytes of VmSize. The bounds below allow allocator noise, nothing like a leak.
    let grew = |a: u64, b: u64| b.saturating_sub(a);
    assert!(
        grew(before.0, after.0) < 256 * 1024,
        "VmSize grew {before:?} -> {after:?} KiB"
    );
    assert!(
        grew(before.1, after.1) < 64 * 1024,
        "VmRSS grew {before:?} -> {after:?} KiB"
    );
}
