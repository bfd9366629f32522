//! # lifecycle-runtime
//!
//! The reference lifecycle of WebAssembly components run as actors, as a library: load,
//! validate, compile, instantiate, `_start`, messages, health checks, `_cleanup` under a
//! timeout, and teardown, all under memory, fuel and wall-clock limits.
//!
//! The contract (`conformance/SPEC.md`) is implemented once ([`lifecycle`]) over an engine
//! seam ([`engine`]) with two backends: Wasmtime, the reference ([`Runtime`]), and wasmi
//! ([`WasmiRuntime`]). The contract's vocabulary ([`State`], [`Error`], [`Health`],
//! [`Event`]) is re-exported from `lifecycle-contract`; every runtime here is a
//! [`Subject`](lifecycle_contract::Subject) the conformance suite can judge, without this
//! crate depending on the suite.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lifecycle_runtime::Error> {
//! use lifecycle_runtime::{ComponentConfig, ModuleSource, Runtime};
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
pub mod engine;
pub mod lifecycle;
pub mod runtimes;
pub mod source;
mod subject;

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
