//! The runtime under test, as the commands choose it: a built-in one (`--runtime`), or
//! one behind an adapter command (`--adapter`). [`Subject`] has an associated type and
//! async methods, so it cannot be a trait object: the choice is made once, in
//! [`with_subject`], and each command's [`Job`] is generic over it.

use super::{Usage, bad, shell_quote};
use clap::Args;
use lifecycle_conformance::{Capability, Subject};
use lifecycle_runtime::engine::wasmtime::config::Allocation;
use std::collections::BTreeSet;
use std::time::Duration;

/// How the reference runtime allocates instances.
#[derive(Args, Clone, Copy)]
pub(super) struct EngineArgs {
    /// `pooling` (the default: slots reserved once and reused) or `on-demand`; the
    /// reference runtime and the faulty ones built on it.
    #[arg(long, value_name = "ALLOCATOR", default_value_t = Allocation::default())]
    pub(super) allocator: Allocation,
}

/// The runtime under test, as `run` and `trace` choose it.
#[derive(Args)]
pub(super) struct SubjectArgs {
    /// The runtime under test: `reference` (Wasmtime), `wasmi`, or `faulty:NAME` (a
    /// mutant; needs a build with `--features defects`).
    #[arg(long, default_value = "reference")]
    pub(super) runtime: String,
    /// Check the runtime behind this adapter command (program and arguments, split on
    /// spaces) instead of a built-in one; see conformance/ADAPTER.md.
    #[arg(long, value_name = "COMMAND", conflicts_with = "runtime")]
    pub(super) adapter: Option<String>,
    /// How long an adapter may take to answer one request.
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(super) adapter_timeout_secs: u64,
    #[command(flatten)]
    pub(super) engine: EngineArgs,
}

impl SubjectArgs {
    /// Does `job` with the runtime these flags choose.
    pub(super) async fn with<J: Job>(&self, job: J) -> anyhow::Result<J::Output> {
        let adapter = self
            .adapter
            .as_deref()
            .map(|command| (command, Duration::from_secs(self.adapter_timeout_secs)));
        with_subject(&self.runtime, self.engine, adapter, job).await
    }
}

/// Something to do with a runtime under test, whichever it is. [`Subject`] has an
/// associated type and async methods, so it cannot be a trait object: the choice of
/// runtime is made once, in [`with_subject`], and each job is generic over it.
/// Why a runtime under test could not be made: whatever its factory says.
pub(super) trait MakeError: std::fmt::Display + Send + Sync + 'static {}
impl<T: std::fmt::Display + Send + Sync + 'static> MakeError for T {}

pub(super) trait Job {
    type Output;
    /// Does the job with runtimes from `make` (one per case for the suite).
    async fn with<S: Subject, E: MakeError>(
        self,
        make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    ) -> anyhow::Result<Self::Output>;
}

/// Does `job` with the runtime named `runtime` (`reference`, `wasmi` or `faulty:NAME`),
/// or with the one behind `adapter` (its command, and how long an answer may take).
pub(super) async fn with_subject<J: Job>(
    runtime: &str,
    engine: EngineArgs,
    adapter: Option<(&str, Duration)>,
    job: J,
) -> anyhow::Result<J::Output> {
    if let Some((command, timeout)) = adapter {
        let words: Vec<String> = command.split_whitespace().map(String::from).collect();
        return job
            .with(move || {
                lifecycle_conformance::adapter::Adapter::connect(&words, timeout)
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| match e.downcast::<CannotCreate>() {
                // It does not start or greet: the command is no adapter, and nothing can
                // be judged, as with an unknown `--runtime`. (An adapter that breaks the
                // protocol later is the runtime under test failing: not bad input.)
                Ok(why) => bad(format!("--adapter `{command}`: {why}")),
                Err(e) => e,
            });
    }
    match runtime {
        "reference" => {
            let allocation = engine.allocator;
            job.with(move || lifecycle_runtime::runtimes::reference_on(allocation))
                .await
        }
        "wasmi" => job.with(lifecycle_runtime::runtimes::wasmi).await,
        other => match other.strip_prefix("faulty:") {
            Some(name) => with_faulty(name, engine, job).await,
            None => Err(Usage(format!(
                "unknown runtime `{other}` (expected `reference`, `wasmi` or `faulty:NAME`)"
            ))
            .into()),
        },
    }
}

/// A mutant: the faulty runtime called `name` (a build with `--features defects` only).
pub(super) async fn with_faulty<J: Job>(
    name: &str,
    engine: EngineArgs,
    job: J,
) -> anyhow::Result<J::Output> {
    #[cfg(feature = "defects")]
    return job
        .with(lifecycle_kit::mutants::named(name, engine.allocator).map_err(bad)?)
        .await;
    #[cfg(not(feature = "defects"))]
    {
        let _ = (name, engine, job);
        Err(Usage(super::mutants::NO_MUTANTS.into()).into())
    }
}

/// A subject made once, or why it could not be.
pub(super) fn made<S, E: MakeError>(make: impl Fn() -> Result<S, E>) -> anyhow::Result<S> {
    Ok(make().map_err(|e| CannotCreate(e.to_string()))?)
}

/// The runtime under test could not be made: bad input where it is an adapter command
/// (see [`with_subject`]), else a failure of this machine (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("cannot create the runtime under test: {0}")]
pub(super) struct CannotCreate(pub(super) String);

/// `fuel,timeouts` or `all`.
pub(super) fn parse_capabilities(
    s: &str,
) -> Result<BTreeSet<Capability>, lifecycle_contract::UnknownIdentifier> {
    if s == "all" {
        return Ok(Capability::ALL.into_iter().collect());
    }
    s.split(',').map(|c| c.trim().parse()).collect()
}

impl SubjectArgs {
    /// The flags that choose this runtime, as a command line repeats them.
    pub(super) fn flags(&self) -> Vec<String> {
        let mut words = Vec::new();
        let mut flag = |name: &str, value: String| {
            words.push(format!("--{name}"));
            words.push(shell_quote(&value));
        };
        match &self.adapter {
            Some(command) => {
                flag("adapter", command.clone());
                if self.adapter_timeout_secs != 30 {
                    flag(
                        "adapter-timeout-secs",
                        self.adapter_timeout_secs.to_string(),
                    );
                }
            }
            None => flag("runtime", self.runtime.clone()),
        }
        if self.engine.allocator != Allocation::default() {
            flag("allocator", self.engine.allocator.to_string());
        }
        words
    }
}
