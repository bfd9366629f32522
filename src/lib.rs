//! # lifecycle-kit
//!
//! The command-line tool of the lifecycle conformance kit ([`main`](../lifecycle_kit/index.html)
//! is `src/main.rs`, one file per command under `src/cli/`), and the jobs that are neither
//! the runtime nor the suite:
//! * [`bench`]: what the runtimes cost beside bare Wasmtime and an engine-per-start design;
//! * [`soak`]: many start/stop cycles on one runtime, and whether teardown gives
//!   everything back;
//! * [`mutants`] (feature `defects`): faulty runtimes, the reference with one injected
//!   defect each, that the suite must catch.
//!
//! The reference lifecycle is the `lifecycle-runtime` crate; the suite is
//! `lifecycle-conformance`; the contract's vocabulary is `lifecycle-contract`.

pub mod bench;
#[cfg(feature = "defects")]
pub mod mutants;
pub mod soak;
