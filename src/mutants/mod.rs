//! Mutation testing of the conformance suite: the reference runtime with exactly one
//! injected defect each ([`Defect`]), run through the suite. A mutant is killed when some
//! case fails against it; a survivor means a case is missing.
//!
//! Only with the `defects` feature: a default build has none of this module. The
//! defects live here alone, as wrappers around the engine seam ([`engine`]) and around a
//! component ([`component`]), or as a runtime's configuration; the lifecycle they wrap
//! is the reference one, unchanged.

pub mod component;
pub mod defects;
pub mod engine;

pub use component::{FaultyComponent, FaultyRuntime};
pub use defects::Defect;

use lifecycle_conformance::{Case, RunOptions, Verdict};
use lifecycle_contract::{Abi, Profile};
use lifecycle_runtime::engine::wasmtime::config::Allocation;
use lifecycle_runtime::engine::wasmtime::{InitError, Wasmtime};
use lifecycle_runtime::lifecycle::{Gate, Options, Runtime, StartOrder, content_key};
use lifecycle_runtime::runtimes::RuntimeConfig;
use serde_json::{Value, json};
use std::time::Duration;

/// The cache key of `module-cache-keyed-by-length`.
fn length_key(profile: Profile, abi: Abi, bytes: &[u8]) -> lifecycle_runtime::lifecycle::CacheKey {
    let mut by_length = [0; 32];
    by_length[..8].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
    (profile, abi, by_length)
}

/// The cache key of `module-cache-ignores-profile`.
fn bytes_key(_: Profile, abi: Abi, bytes: &[u8]) -> lifecycle_runtime::lifecycle::CacheKey {
    content_key(Profile::Strict, abi, bytes)
}

/// A runtime with `defect`, its engine allocating as `allocation` says.
pub fn faulty_runtime(defect: Defect, allocation: Allocation) -> Result<FaultyRuntime, InitError> {
    let mut config = RuntimeConfig::default();
    config.engine.allocation = allocation;
    if defect == Defect::EpochTickOneSecond {
        config.engine.epoch_tick = Duration::from_secs(1);
    }
    let mut options = Options::default();
    match defect {
        // Nothing kept: every start compiles again.
        Defect::EnginePerStart => options.cache_capacity = 0,
        Defect::CacheKeyedByLength => options.cache_key = length_key,
        Defect::CacheIgnoresProfile => options.cache_key = bytes_key,
        Defect::ExportSignaturesUnchecked => {
            options.start_order = StartOrder {
                before_instantiate: &[Gate::Link, Gate::Limits],
                after_instantiate: &[Gate::Exports],
            }
        }
        _ => {}
    }
    let engine = Wasmtime::new(&config.engine)?;
    Ok(FaultyRuntime {
        runtime: Runtime::on(engine::Faulty::new(engine, defect), options),
        defect,
    })
}

/// A factory of the faulty runtimes called `name` (`fuel-set-once`), or why there is none.
pub fn named(
    name: &str,
    allocation: Allocation,
) -> Result<impl Fn() -> Result<FaultyRuntime, InitError> + Send + Sync + 'static, UnknownMutant> {
    let defect: Defect = name.parse()?;
    Ok(move || faulty_runtime(defect, allocation))
}

/// A name that is no mutant's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no mutant named `{0}` (one of: {names})", names = Defect::ALL.iter().map(|d| d.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownMutant(pub String);

impl std::str::FromStr for Defect {
    type Err = UnknownMutant;

    /// The defect called `name` (`fuel-set-once`), or why there is none.
    fn from_str(name: &str) -> Result<Defect, UnknownMutant> {
        Defect::from_name(name).ok_or_else(|| UnknownMutant(name.to_string()))
    }
}

/// A factory of runtimes with `defect`, as the conformance runner wants one per case.
pub fn faulty(
    defect: Defect,
) -> impl Fn() -> Result<FaultyRuntime, InitError> + Send + Sync + 'static {
    move || faulty_runtime(defect, Allocation::default())
}

#[derive(Clone, Debug)]
pub struct MutantResult {
    pub defect: Defect,
    /// The cases that failed against it (empty: it survived).
    pub killed_by: Vec<String>,
}

/// Mutants whose suites run at once, when each runs `jobs` cases at once: as many as keep
/// the cases running at once within twice the cores, and at least one. The suite's timing
/// checks are shown not to false-fail beside `2 × nproc` busy processes
/// (`.ci/saturated`); more load than that could fail a timing case on a mutant that
/// deserves to survive, and count it killed.
pub fn mutants_at_once(jobs: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (2 * cores / jobs.max(1)).max(1)
}

/// Runs every case against each of `defects`, [`mutants_at_once`] mutants at a time, each
/// `options.jobs` cases at a time; the results in the order of `defects`. A mutant
/// that survives is run again alone before it is called a survivor: the load the mutants
/// beside it add can make a timing case pass that fails on a quieter machine (its
/// precision is judged against the delay a busy thread saw), never fail one that passes
/// (`2 × nproc` busy processes are shown not to), so a kill beside others stands and a
/// survival beside others is not yet one. With `options.fail_fast`, each mutant's run
/// stops at its first failing case: `killed_by` then holds that case (and any that were
/// running beside it), which answers whether the mutant is killed, not by what.
pub async fn run(defects: &[Defect], cases: &[Case], options: &RunOptions) -> Vec<MutantResult> {
    use futures::StreamExt;
    let mut results: Vec<MutantResult> = futures::stream::iter(defects.iter().copied())
        .map(|defect| run_one(defect, cases, options))
        .buffered(mutants_at_once(options.jobs))
        .collect()
        .await;
    for result in results.iter_mut().filter(|r| r.killed_by.is_empty()) {
        *result = run_one(result.defect, cases, options).await;
    }
    results
}

/// Every case against the mutant with `defect`.
async fn run_one(defect: Defect, cases: &[Case], options: &RunOptions) -> MutantResult {
    let options = RunOptions {
        repro_command: Some(format!(
            "lifecycle-kit run --runtime faulty:{}",
            defect.name()
        )),
        ..options.clone()
    };
    let report = lifecycle_conformance::run_cases(faulty(defect), cases.to_vec(), options).await;
    let killed_by = report
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail(_) | Verdict::Xpass(_)))
        .map(|r| r.id.clone())
        .collect();
    MutantResult { defect, killed_by }
}

/// Options suited to mutants: a short watchdog, since a mutant may hang a case.
pub fn options() -> RunOptions {
    RunOptions {
        watchdog: Duration::from_secs(10),
        ..RunOptions::default()
    }
}

pub fn json(results: &[MutantResult]) -> Value {
    let survived: Vec<&str> = results
        .iter()
        .filter(|r| r.killed_by.is_empty())
        .map(|r| r.defect.name())
        .collect();
    let mutants: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "name": r.defect.name(), "description": r.defect.description(),
                "killed": !r.killed_by.is_empty(), "killed_by": r.killed_by,
            })
        })
        .collect();
    json!({
        "total": results.len(),
        "killed": results.len() - survived.len(),
        "survived": survived,
        "mutants": mutants,
    })
}

pub fn human(results: &[MutantResult]) -> String {
    let mut out = String::new();
    for r in results {
        let verdict = match r.killed_by.len() {
            0 => "SURVIVED".to_string(),
            n => format!(
                "killed by {n} case(s), e.g. {}",
                r.killed_by
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out += &format!("{:<36} {verdict}\n", r.defect.name());
    }
    let killed = results.iter().filter(|r| !r.killed_by.is_empty()).count();
    out += &format!("\nmutation score: {killed}/{} killed\n", results.len());
    out
}

/// How fuzzing fared against one mutant: what it found first, after how many cases
/// and how long, and how small the shrunk case is; `found` is `None` if the budget ran out.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FuzzKill {
    pub name: &'static str,
    pub found: Option<lifecycle_conformance::fuzz::Found>,
    /// Cases run and seconds spent (to the first failure, or the whole budget).
    pub cases: u64,
    pub seconds: f64,
}

impl FuzzKill {
    /// The first failure of a `fuzz --json` report on mutant `name`, or the whole run's
    /// cases and time if it found none.
    pub fn from_report(
        name: &'static str,
        report: lifecycle_conformance::fuzz::FuzzReport,
    ) -> FuzzKill {
        let found = report.found.into_iter().next();
        let (cases, seconds) = match &found {
            Some(f) => (f.cases_until_found, f.seconds_until_found),
            None => (report.cases, report.seconds),
        };
        FuzzKill {
            name,
            found,
            cases,
            seconds,
        }
    }
}

/// The time-to-kill table, in Markdown.
pub fn fuzz_table(kills: &[FuzzKill], budget: u64) -> String {
    let mut out = String::from(
        "| mutant | found | cases | seconds | shrunk (module bytes, steps) | first failure |\n|---|---|---:|---:|---|---|\n",
    );
    for k in kills {
        let (found, shrunk, signature) = match &k.found {
            Some(f) => (
                "yes",
                format!(
                    "{} B, {} steps (weight {} from {})",
                    f.module_bytes, f.steps, f.shrunk_weight, f.original_weight
                ),
                f.signature.to_string().replace('|', "\\|"),
            ),
            None => ("no", "-".into(), format!("nothing in {budget} s")),
        };
        out += &format!(
            "| `{}` | {found} | {} | {:.1} | {shrunk} | {signature} |\n",
            k.name, k.cases, k.seconds
        );
    }
    let found = kills.iter().filter(|k| k.found.is_some()).count();
    out += &format!(
        "\nfuzzing found {found} of {} mutants within {budget} s each\n",
        kills.len()
    );
    out
}
