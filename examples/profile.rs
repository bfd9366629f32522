//! A loop to profile: `perf record -g ./target/release/examples/profile cycle` (300 000
//! start + message + stop cycles of the echo actor) or `... profile message` (5 000 000
//! messages to one component). Build with `CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
//! cargo build --release --example profile` for symbols. What docs/performance.md's
//! "Where a cycle's time goes" comes from.

use lifecycle_runtime::{ComponentConfig, ModuleSource, Runtime};
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let rt = Runtime::new().unwrap();
    let echo = ModuleSource::bytes(wat::parse_str(lifecycle_kit::bench::echo()).unwrap());
    if mode == "cycle" {
        for _ in 0..300_000 {
            let mut c = rt.component(echo.clone(), ComponentConfig::default());
            c.start().await.unwrap();
            c.handle_message(b"sixteen bytes ok").await.unwrap();
            c.stop(std::time::Duration::from_secs(1)).await.unwrap();
        }
    } else {
        let mut c = rt.component(echo.clone(), ComponentConfig::default());
        c.start().await.unwrap();
        for _ in 0..5_000_000 {
            c.handle_message(b"sixteen bytes ok").await.unwrap();
        }
    }
}
