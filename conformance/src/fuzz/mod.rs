//! `lifecycle-kit fuzz`: differential fuzzing of any runtime against the oracle.
//!
//! Trials are drawn from a seed ([`lifecycle_generators::fuzz`]): four in five are
//! modules with lifecycle behaviours under random limits and profiles, put through any
//! sequence of steps, and checked against the oracle exactly, as every case is (counters
//! and teardown, timing of timeouts, compilations included); the fifth is a wasm-smith
//! module with every lifecycle export, checked against the invariants and, with an
//! `against` runtime, compared with what that runtime does.
//!
//! A failure is shrunk ([`shrink`]) while it fails the same way ([`signature`]) and
//! written to the corpus ([`corpus`]) as a ready case with its reproduce line. A
//! signature seen before in the run is counted, not shrunk again; a minimal case already
//!
//! Where each part is: this file holds the options and the run's loop (draw a batch, run
//! it, sort what failed); `drawn.rs` what is drawn, `differential.rs` the comparison of
//! two runtimes on a wasm-smith module, `minimal.rs` the corpus replayed and each new
//! failure shrunk and written, `report.rs` what a run found and how it reads; the shrinker
//! ([`shrink`]), the signatures ([`signature`]) and the corpus files ([`corpus`]) have
//! modules of their own.
//!
//! Invariants: the same seed and budget draw the same trials; a signature is reported
//! once per run, and a known one (the expectations file's) is counted, never reported.

pub mod corpus;
mod differential;
mod drawn;
pub mod input;
mod minimal;
mod report;
pub mod shrink;
pub mod signature;

pub use report::{Found, FuzzReport, Kind};
pub use signature::Signature;

use crate::case::{Case, CaseError};
use crate::runner::{self, CaseResult, Factory, RunOptions, Verdict, factory};
use crate::subject::{Capability, Subject};
use differential::difference;
use drawn::{Drawn, Smith, trial_seed};
use lifecycle_contract::Abi;
use lifecycle_generators::fuzz::{draw, entropy};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long a fuzz run goes on.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    Cases(u64),
    Time(Duration),
}

#[derive(Clone, Debug)]
pub struct FuzzOptions {
    pub seed: u64,
    pub budget: Budget,
    /// Where minimal failures are written, and replayed from first.
    pub corpus: Option<PathBuf>,
    /// Cases run at once.
    pub jobs: usize,
    /// End at the first failure (after shrinking it): for measuring time to find.
    pub stop_at_first: bool,
    /// The most time one failure's shrink may take.
    pub shrink_time: Duration,
    /// The `lifecycle-kit run` command that checks the same runtime the same way; a
    /// corpus case's reproduce line is this plus `--cases FILE`.
    pub run_command: String,
    /// This fuzz run's own command, for the corpus files' notes.
    pub fuzz_command: String,
    /// Known ways the runtime fails (`[[xfail]] signature = ...`): counted, not reported.
    pub expectations: crate::runner::Expectations,
    /// Capabilities the run requires (`--require`): a drawn trial that needs one the
    /// runtime does not declare fails the run instead of counting as unsupported.
    pub require: BTreeSet<Capability>,
    /// The ABI the trials run through: on `component`, each trial is the component of
    /// its spec (a trial with no component form, and every wasm-smith module, is drawn
    /// and set aside, counted in [`FuzzReport::set_aside`]).
    pub abi: Abi,
    /// Also write each drawn trial here as the input of the libFuzzer target that draws
    /// it (`DIR/trial/seed-HEX`, `DIR/smith/seed-HEX`; [`input::loop_bytes`]): the seed
    /// corpus of `fuzz/`, or the loop's draws for a coverage count in a target.
    pub libfuzzer_inputs: Option<PathBuf>,
}

/// Where a failure came from: the loop's draw (its index and seed, with the cases drawn
/// and the time spent until the batch that found it), or a libFuzzer crash imported.
pub(crate) enum Origin {
    Drawn {
        index: u64,
        seed: u64,
        cases: u64,
        after: Duration,
    },
    Imported {
        file: PathBuf,
        target: input::Target,
    },
}

impl Default for FuzzOptions {
    fn default() -> Self {
        FuzzOptions {
            seed: 0,
            budget: Budget::Cases(200),
            corpus: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            stop_at_first: false,
            shrink_time: Duration::from_secs(120),
            run_command: "lifecycle-kit run --runtime reference".into(),
            fuzz_command: "lifecycle-kit fuzz".into(),
            expectations: Default::default(),
            require: BTreeSet::new(),
            abi: Abi::Core,
            libfuzzer_inputs: None,
        }
    }
}

/// What a progress line shows.
#[derive(Clone, Copy, Debug)]
pub struct Status {
    pub cases: u64,
    pub failures: usize,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    #[error("corpus: {0}")]
    Corpus(#[from] CaseError),
    #[error("cannot write the corpus case {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot create the runtime under test: {0}")]
    Runtime(String),
}

/// No runtime to compare with, for [`fuzz`]'s `against` (of the subject type `T`).
pub type Alone<T, E = String> = Option<(fn() -> Result<T, E>, String)>;

/// Runs `cases` on fresh subjects from `make`.
async fn results<S: Subject>(
    make: &Factory<S>,
    cases: Vec<Case>,
    jobs: usize,
) -> Result<Vec<CaseResult>, FuzzError> {
    let make = make.clone();
    let options = RunOptions {
        jobs,
        ..RunOptions::default()
    };
    let (_, results) = runner::run(move || make(), cases, options)
        .await
        .map_err(FuzzError::Runtime)?;
    Ok(results)
}

/// The run in progress.
struct Run<'a, S: Subject, T: Subject> {
    make: Factory<S>,
    against: Option<(Factory<T>, String)>,
    options: &'a FuzzOptions,
    began: Instant,
    found: Vec<Found>,
    known: BTreeMap<String, u64>,
}

/// Fuzzes the runtime from `make` (and compares it with the one from `against`, named,
/// on wasm-smith modules), as `options` say; `progress` hears after every batch.
pub async fn fuzz<S: Subject, T: Subject, E: Display, F: Display>(
    make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    against: Option<(impl Fn() -> Result<T, F> + Send + Sync + 'static, String)>,
    options: &FuzzOptions,
    progress: &mut dyn FnMut(&Status),
) -> Result<FuzzReport, FuzzError> {
    let make = factory(make);
    let runtime = {
        let subject = make().map_err(FuzzError::Runtime)?;
        format!("{} {}", subject.name(), subject.version())
    };
    let against = against.map(|(m, name)| (factory(m), name));
    let mut run = Run {
        make,
        against,
        options,
        began: Instant::now(),
        found: Vec::new(),
        known: Default::default(),
    };
    let replayed = run.replay().await?;
    run.began = Instant::now();
    let jobs = options.jobs.max(1);
    let batch = (jobs * 4) as u64;
    let (mut index, mut oracle_cases, mut smith_cases, mut ran) = (0u64, 0u64, 0u64, 0u64);
    let mut set_aside = 0u64;
    let mut unsupported: BTreeMap<Capability, u64> = BTreeMap::new();
    loop {
        let left = match options.budget {
            Budget::Cases(n) => n.saturating_sub(index),
            Budget::Time(t) if run.began.elapsed() < t => batch,
            Budget::Time(_) => 0,
        };
        if left == 0 || (options.stop_at_first && !run.found.is_empty()) {
            break;
        }
        let end = index + left.min(batch);
        let mut drawn: Vec<(u64, u64, Drawn)> = Vec::new();
        let mut cases: Vec<Case> = Vec::new();
        for i in index..end {
            let seed = trial_seed(options.seed, i);
            let d = if Drawn::is_smith(i) {
                Drawn::Smith(Smith::new(entropy(seed), seed.is_multiple_of(2)))
            } else {
                let mut trial = draw(seed);
                trial.abi = options.abi;
                Drawn::Trial(Box::new(trial))
            };
            if let Some(dir) = &options.libfuzzer_inputs {
                let (target, bytes) = input::loop_bytes(options.seed, i);
                let path = dir.join(target.name()).join(format!("seed-{seed:016x}"));
                std::fs::create_dir_all(path.parent().unwrap_or(dir))
                    .and_then(|()| std::fs::write(&path, bytes))
                    .map_err(|cause| FuzzError::Write { path, cause })?;
            }
            match d.case(format!("{}-{i}", d.kind()), options.abi) {
                Some(case) => {
                    cases.push(case);
                    drawn.push((i, seed, d));
                }
                None => set_aside += 1,
            }
        }
        index = end;
        oracle_cases += drawn
            .iter()
            .filter(|(_, _, d)| matches!(d, Drawn::Trial(_)))
            .count() as u64;
        smith_cases += drawn
            .iter()
            .filter(|(_, _, d)| matches!(d, Drawn::Smith(_)))
            .count() as u64;
        let mine = results(&run.make, cases.clone(), jobs).await?;
        let theirs = match &run.against {
            Some((other, _)) => {
                let smith: Vec<Case> = cases
                    .iter()
                    .filter(|c| c.id.starts_with("smith-"))
                    .cloned()
                    .collect();
                results(other, smith, jobs).await?
            }
            None => Vec::new(),
        };
        let mut theirs = theirs.into_iter();
        let found_at = (index, run.began.elapsed());
        for ((i, seed, d), result) in drawn.into_iter().zip(mine) {
            if let Verdict::Unsupported(capability) = result.verdict {
                *unsupported.entry(capability).or_default() += 1;
                if matches!(d, Drawn::Smith(_)) {
                    theirs.next();
                }
                continue;
            }
            ran += 1;
            let other = match &d {
                Drawn::Smith(_) => theirs.next(),
                Drawn::Trial(_) => None,
            };
            let failure = match (&d, Signature::of(&result)) {
                (Drawn::Trial(_), Some(s)) => Some((Kind::Oracle, s)),
                (Drawn::Smith(_), Some(s)) => Some((Kind::Invariants, s)),
                (Drawn::Smith(_), None) => other.as_ref().and_then(|o| {
                    let name = &run.against.as_ref()?.1;
                    difference(&result, o, name).map(|s| (Kind::Differential, s))
                }),
                _ => None,
            };
            let Some((kind, signature)) = failure else {
                continue;
            };
            if let Some(reason) = options.expectations.known_signature(&signature.to_string()) {
                *run.known.entry(reason.to_string()).or_default() += 1;
                continue;
            }
            if let Some(seen) = run.found.iter_mut().find(|f| f.signature == signature) {
                seen.same_signature += 1;
                continue;
            }
            let origin = Origin::Drawn {
                index: i,
                seed,
                cases: found_at.0,
                after: found_at.1,
            };
            let f = run.shrunk(kind, signature, d, origin).await?;
            run.found.push(f);
            if options.stop_at_first {
                break;
            }
        }
        progress(&Status {
            cases: index,
            failures: run.found.len(),
            elapsed: run.began.elapsed(),
        });
    }
    let seconds = run.began.elapsed().as_secs_f64();
    Ok(FuzzReport {
        runtime,
        against: run.against.as_ref().map(|(_, n)| n.clone()),
        seed: options.seed,
        cases: index,
        oracle_cases,
        smith_cases,
        set_aside,
        ran,
        required_missing: report::required_missing(&unsupported, &options.require),
        unsupported,
        seconds,
        replayed,
        found: run.found,
        known: run.known,
        imported: None,
    })
}
