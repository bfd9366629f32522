//! # lifecycle-kit
//!
//! A conformance kit for the lifecycle of WebAssembly components run as actors: load,
//! validate, compile, instantiate, `_start`, messages, health checks, `_cleanup` under a
//! timeout, and teardown, all under memory, fuel and wall-clock limits.
//!
//! This crate holds the contract implemented once ([`lifecycle`]) over an engine seam
//! ([`engine`]) with two backends: Wasmtime, the reference ([`Runtime`]), and wasmi
//! ([`WasmiRuntime`]). It also re-exports the contract's vocabulary ([`State`], [`Error`],
//! [`Health`], [`Event`]) and holds the `trace` operation behind the command-line tool.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lifecycle_kit::Error> {
//! use lifecycle_kit::{ComponentConfig, ModuleSource, Runtime};
//! use std::time::Duration;
//!
//! let runtime = Runtime::new()?;
//! let mut actor = runtime.component(ModuleSource::file("examples/echo.wat"), ComponentConfig::default());
//! actor.start().await?;
//! let reply = actor.handle_message(b"hello").await?;
//! assert_eq!(reply, b"hello");
//! actor.stop(Duration::from_secs(5)).await?;
//! assert_eq!(runtime.live_instances(), 0);
//! # Ok(()) }
//! ```

pub mod accounting;
pub mod bench;
pub mod engine;
pub mod lifecycle;
#[cfg(feature = "defects")]
pub mod mutants;
pub mod runtimes;
pub mod soak;
pub mod source;
pub mod subject;
pub mod trace;

// The contract's vocabulary lives in its own crate so that generators, oracles and other
// runtimes can share it without Wasmtime; its modules keep their paths here.
pub use lifecycle_contract::{error, events, health, limits, outcome, profile, state};

pub use engine::wasmtime::Wasmtime;
pub use error::{Error, ErrorKind, Fault, Resource, Stage, TrapCode, Warning};
pub use events::{CallOutcome, Event};
pub use health::{Health, HealthReason, HealthStatus};
pub use lifecycle::ComponentConfig;
pub use limits::Limits;
pub use profile::Profile;
pub use runtimes::{RuntimeConfig, WasmiRuntime};
pub use source::ModuleSource;
pub use state::State;

/// The reference runtime: the lifecycle on Wasmtime.
pub type Runtime = lifecycle::Runtime<Wasmtime>;
/// A component of the reference runtime.
pub type Component = lifecycle::Component<Wasmtime>;
