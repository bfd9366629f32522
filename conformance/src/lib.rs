//! # lifecycle-conformance
//!
//! The lifecycle conformance suite: point it at a runtime, get a verdict per contract
//! clause. A runtime implements [`Subject`] (components that start, handle messages,
//! report health and stop, plus live counters and its capabilities); [`run_builtin`] runs
//! every case of `conformance/cases` against it, each case on a fresh subject.
//!
//! Every step any tool performs on a runtime goes through one driver ([`drive`]) and is
//! recorded in one trace shape ([`trace`]): the runner's cases, the adapter server's
//! answers and `lifecycle-kit trace` alike.
//!
//! From your runtime crate's own `cargo test` (the working crate is
//! `conformance/downstream-example`):
//!
//! ```ignore
//! #[tokio::test(flavor = "multi_thread")]
//! async fn my_runtime_conforms() {
//!     // Any constructor whose error displays: `fn() -> Result<MyRuntime, MyError>`.
//!     let make = MyRuntime::new;
//!     let report = lifecycle_conformance::run_builtin(make, Default::default())
//!         .await
//!         .expect("the built-in cases load");
//!     assert!(!report.failed(), "{}", report.human());
//! }
//! ```
//!
//! `SPEC.md` beside this crate is the contract in the project's own words, every clause
//! with an id (`LC-STOP-2`); cases name the clauses they check.

pub mod adapter;
pub mod attribution;
pub mod case;
pub mod difference;
pub mod drive;
pub mod fuzz;
mod hash;
pub mod html;
mod one_line;
pub mod report;
pub mod runner;
pub mod spec;
pub mod trace;

pub use case::{Case, CaseError, CaseModule, Expected, Timing};
pub use report::{RunMeta, RunReport, Totals};
pub use runner::{CaseResult, Expectations, RunOptions, Verdict};
// What a runtime under test implements lives in the contract, so that a runtime need not
// depend on its test harness; its paths here stay as they were.
pub use lifecycle_contract::subject::{
    self, Capabilities, Capability, Counters, ModuleSource, Subject, SubjectComponent,
};
pub use trace::{Held, NormalizedTrace, Trace};

/// Runs every built-in case against fresh subjects from `make`.
pub async fn run_builtin<S: Subject, E: std::fmt::Display>(
    make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    options: RunOptions,
) -> Result<RunReport, CaseError> {
    let cases = case::load_dir(&case::builtin_dir())?;
    Ok(run_cases(make, cases, options).await)
}

/// Runs `cases` against fresh subjects from `make`.
pub async fn run_cases<S: Subject, E: std::fmt::Display>(
    make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    cases: Vec<Case>,
    options: RunOptions,
) -> RunReport {
    match runner::run(make, cases, options).await {
        Ok(((runtime, version), results)) => RunReport {
            runtime,
            version,
            results,
            setup_error: None,
            meta: report::RunMeta::now(),
        },
        Err(why) => RunReport {
            runtime: "unknown".into(),
            version: String::new(),
            results: Vec::new(),
            setup_error: Some(format!("cannot create the runtime under test: {why}")),
            meta: report::RunMeta::now(),
        },
    }
}
