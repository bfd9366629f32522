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
//! in the corpus is reported once. The corpus is replayed before anything is drawn.

pub mod corpus;
pub mod shrink;
pub mod signature;

use crate::case::{Case, CaseError};
use crate::runner::{self, CaseResult, RunOptions, Verdict};
use crate::subject::{Capability, Subject};
use lifecycle_contract::Summary;
use lifecycle_generators::fuzz::{Trial, draw, entropy, smaller_entropy};
use lifecycle_generators::random::smith_from;
use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use signature::Signature;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
        }
    }
}

/// What found a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A drawn trial whose outcome differs from the oracle's.
    Oracle,
    /// A wasm-smith module that breaks an invariant or a runner check.
    Invariants,
    /// A wasm-smith module on which the two runtimes differ.
    Differential,
    /// A corpus case that still fails.
    Corpus,
}

/// One failure, reported once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Found {
    pub id: String,
    pub kind: Kind,
    pub signature: Signature,
    /// The trial's index in the run (0-based) and its own seed.
    pub trial: Option<(u64, u64)>,
    /// Cases drawn, and seconds spent fuzzing, up to the batch that found it.
    pub cases_until_found: u64,
    pub seconds_until_found: f64,
    /// Its weight as drawn and as shrunk (module bytes plus steps, limits and cycles).
    pub original_weight: usize,
    pub shrunk_weight: usize,
    pub module_bytes: usize,
    pub steps: usize,
    pub shrink_reductions: u32,
    /// Further failures with the same signature in this run, not shrunk again.
    pub same_signature: u64,
    /// Already in the corpus when found: reported once, not written again.
    pub known: bool,
    pub file: Option<PathBuf>,
    pub repro: Option<String>,
    /// The case file's text (also when no corpus is given).
    #[serde(skip)]
    pub text: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FuzzReport {
    pub runtime: String,
    pub against: Option<String>,
    pub seed: u64,
    /// Trials drawn: checked against the oracle, and wasm-smith modules.
    pub cases: u64,
    pub oracle_cases: u64,
    pub smith_cases: u64,
    /// Trials that ran on the runtime: those drawn less the unsupported.
    pub ran: u64,
    /// Trials not run, by the capability each needs and the runtime does not declare.
    pub unsupported: BTreeMap<Capability, u64>,
    /// Of those, the capabilities the run requires (`--require`): each fails the run.
    pub required_missing: BTreeSet<Capability>,
    pub seconds: f64,
    /// Corpus cases replayed first.
    pub replayed: usize,
    pub found: Vec<Found>,
    /// Failures of a known signature (the expectations file's reason: how many).
    pub known: std::collections::BTreeMap<String, u64>,
}

impl FuzzReport {
    pub fn failed(&self) -> bool {
        !self.found.is_empty() || !self.required_missing.is_empty()
    }

    /// For a person: each failure, its signature, sizes, file and reproduce line; then
    /// one summary line.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for f in &self.found {
            out += &format!("FAIL {} ({:?}): {}\n", f.id, f.kind, f.signature);
            if let Some((index, seed)) = f.trial {
                out += &format!(
                    "  trial {index} (seed {seed}), after {} cases and {:.1} s; shrunk from weight {} to {} ({} bytes of module, {} steps) in {} reductions\n",
                    f.cases_until_found,
                    f.seconds_until_found,
                    f.original_weight,
                    f.shrunk_weight,
                    f.module_bytes,
                    f.steps,
                    f.shrink_reductions
                );
            }
            if f.same_signature > 0 {
                out += &format!(
                    "  and {} more trial(s) failing the same way\n",
                    f.same_signature
                );
            }
            if f.known {
                out += "  already in the corpus\n";
            }
            match (&f.file, &f.repro) {
                (Some(file), Some(repro)) => {
                    out += &format!("  case: {}\n  reproduce: {repro}\n", file.display());
                }
                _ => {
                    out += "  the case (no --corpus to write it to):\n";
                    for line in f.text.lines() {
                        out += &format!("    {line}\n");
                    }
                }
            }
        }
        for (reason, n) in &self.known {
            out += &format!("known: {n} failure(s): {reason}\n");
        }
        for capability in &self.required_missing {
            out += &format!(
                "FAIL {} drawn trial(s) need capability `{capability}`, which this run requires (--require) and the runtime does not declare\n",
                self.unsupported.get(capability).copied().unwrap_or(0)
            );
        }
        out += &self.summary_line();
        out += "\n";
        out
    }

    /// Drawn, ran, unsupported by capability, failed.
    pub fn summary_line(&self) -> String {
        let unsupported = match self.unsupported.is_empty() {
            true => "0 unsupported".to_string(),
            false => format!(
                "{} unsupported ({})",
                self.unsupported.values().sum::<u64>(),
                self.unsupported
                    .iter()
                    .map(|(c, n)| format!("{n} need {c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "fuzz {}{}: {} drawn ({} against the oracle, {} wasm-smith), {} ran, {unsupported}, {} failure(s), {} known; {:.1} s from seed {}, {} corpus case(s) replayed",
            self.runtime,
            self.against
                .as_ref()
                .map_or(String::new(), |a| format!(" against {a}")),
            self.cases,
            self.oracle_cases,
            self.smith_cases,
            self.ran,
            self.found.len(),
            self.known.values().sum::<u64>(),
            self.seconds,
            self.seed,
            self.replayed,
        )
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

type Make<S> = Arc<dyn Fn() -> Result<S, String> + Send + Sync>;

/// No runtime to compare with, for [`fuzz`]'s `against` (of the subject type `T`).
pub type Alone<T> = Option<(fn() -> Result<T, String>, String)>;

/// Runs `cases` on fresh subjects from `make`.
async fn results<S: Subject>(
    make: &Make<S>,
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

/// The seed of trial `index`: SplitMix64 of the run's seed and the index.
fn trial_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One in this many trials is a wasm-smith module.
const SMITH_EVERY: u64 = 5;

/// A drawn thing to run.
enum Drawn {
    Trial(Box<Trial>),
    Smith(Smith),
}

/// A wasm-smith module with the entropy it was made from.
#[derive(Clone)]
struct Smith {
    entropy: Vec<u8>,
    terminating: bool,
    bytes: Vec<u8>,
}

impl Smith {
    fn new(entropy: Vec<u8>, terminating: bool) -> Smith {
        let bytes = smith_from(&entropy, terminating);
        Smith {
            entropy,
            terminating,
            bytes,
        }
    }

    fn smaller(&self) -> Vec<Smith> {
        smaller_entropy(&self.entropy)
            .into_iter()
            .map(|e| Smith::new(e, self.terminating))
            .collect()
    }

    fn case(&self, id: String) -> Case {
        Case::smith(id, Arc::from(self.bytes.clone()))
    }
}

/// Where a failure shows, and which, between two runtimes on one smith module; `None`
/// when they agree. Outcomes the contract leaves to each engine (fuel running out,
/// timeouts, stack overflow: each engine counts and sizes its own) end the comparison
/// at the first operation either shows one in.
fn difference(mine: &CaseResult, theirs: &CaseResult, against: &str) -> Option<Signature> {
    let (Some(a), Some(b)) = (&mine.actual, &theirs.actual) else {
        return None;
    };
    let open = |op: &Value| {
        let text = op.to_string();
        ["fuel_exhausted", "execution_timeout", "stack_overflow"]
            .iter()
            .any(|w| text.contains(w))
    };
    let ops = |v: &Value| v["ops"].as_array().cloned().unwrap_or_default();
    let (oa, ob) = (ops(a), ops(b));
    let cut = oa.iter().zip(&ob).position(|(x, y)| open(x) || open(y));
    let field = match cut {
        Some(i) => crate::difference::first_difference(
            &Value::Array(ob[..i].to_vec()),
            &Value::Array(oa[..i].to_vec()),
        )
        .map(|f| format!("ops{f}")),
        None => crate::difference::first_difference(b, a),
    }?;
    // The clause of the first difference, theirs held right, by the one table.
    let cut_at = |v: &Value| {
        let mut v = v.clone();
        if let (Some(i), Some(ops)) = (cut, v["ops"].as_array_mut()) {
            ops.truncate(i);
        }
        Summary::from_json(&v).ok()
    };
    let clause = match (cut_at(b), cut_at(a)) {
        (Some(theirs), Some(mine)) => {
            let steps = crate::case::smith_steps();
            crate::attribution::first_cause(&theirs, &mine, &steps).and_then(|p| p.clause)
        }
        _ => None,
    };
    Some(Signature {
        clause: clause.unwrap_or_else(|| crate::attribution::UNATTRIBUTED.into()),
        field: format!("differs from {against}: {field}"),
    })
}

/// The run in progress.
struct Run<'a, S: Subject, T: Subject> {
    make: Make<S>,
    against: Option<(Make<T>, String)>,
    options: &'a FuzzOptions,
    began: Instant,
    found: Vec<Found>,
    known: std::collections::BTreeMap<String, u64>,
}

/// Fuzzes the runtime from `make` (and compares it with the one from `against`, named,
/// on wasm-smith modules), as `options` say; `progress` hears after every batch.
pub async fn fuzz<S: Subject, T: Subject>(
    make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    against: Option<(
        impl Fn() -> Result<T, String> + Send + Sync + 'static,
        String,
    )>,
    options: &FuzzOptions,
    progress: &mut dyn FnMut(&Status),
) -> Result<FuzzReport, FuzzError> {
    let make: Make<S> = Arc::new(make);
    let runtime = {
        let subject = make().map_err(FuzzError::Runtime)?;
        format!("{} {}", subject.name(), subject.version())
    };
    let against = against.map(|(m, name)| (Arc::new(m) as Make<T>, name));
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
        let drawn: Vec<(u64, u64, Drawn)> = (index..index + left.min(batch))
            .map(|i| {
                let seed = trial_seed(options.seed, i);
                let d = if i % SMITH_EVERY == SMITH_EVERY - 1 {
                    Drawn::Smith(Smith::new(entropy(seed), seed.is_multiple_of(2)))
                } else {
                    Drawn::Trial(Box::new(draw(seed)))
                };
                (i, seed, d)
            })
            .collect();
        index += drawn.len() as u64;
        let cases: Vec<Case> = drawn
            .iter()
            .map(|(i, _, d)| match d {
                Drawn::Trial(t) => {
                    Case::from_trial(format!("trial-{i}"), t).expect("drawn trials are exact")
                }
                Drawn::Smith(s) => s.case(format!("smith-{i}")),
            })
            .collect();
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
            let f = run.shrunk(kind, signature, d, (i, seed), found_at).await?;
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
        ran,
        required_missing: unsupported
            .keys()
            .filter(|c| options.require.contains(c))
            .copied()
            .collect(),
        unsupported,
        seconds,
        replayed,
        found: run.found,
        known: run.known,
    })
}

impl<S: Subject, T: Subject> Run<'_, S, T> {
    /// Runs the corpus; each case that fails is a failure found again.
    async fn replay(&mut self) -> Result<usize, FuzzError> {
        let Some(dir) = &self.options.corpus else {
            return Ok(0);
        };
        let cases = corpus::load(dir)?;
        let count = cases.len();
        if count == 0 {
            return Ok(0);
        }
        let files: Vec<PathBuf> = cases.iter().map(|c| corpus::path(dir, &c.id)).collect();
        let results = results(&self.make, cases, self.options.jobs).await?;
        for (result, file) in results.into_iter().zip(files) {
            let Some(signature) = Signature::of(&result) else {
                continue;
            };
            if let Some(reason) = self
                .options
                .expectations
                .known_signature(&signature.to_string())
            {
                *self.known.entry(reason.to_string()).or_default() += 1;
                continue;
            }
            self.found.push(Found {
                id: result.id.clone(),
                kind: Kind::Corpus,
                signature,
                trial: None,
                cases_until_found: 0,
                seconds_until_found: 0.0,
                original_weight: 0,
                shrunk_weight: 0,
                module_bytes: 0,
                steps: 0,
                shrink_reductions: 0,
                same_signature: 0,
                known: true,
                repro: Some(self.repro(&file)),
                file: Some(file),
                text: String::new(),
            });
        }
        Ok(count)
    }

    fn repro(&self, file: &Path) -> String {
        let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        format!("{} --cases {}", self.options.run_command, file.display())
    }

    /// Shrinks a failure and writes it to the corpus (unless that minimal case is there
    /// already).
    async fn shrunk(
        &mut self,
        kind: Kind,
        signature: Signature,
        drawn: Drawn,
        (index, seed): (u64, u64),
        (cases, after): (u64, Duration),
    ) -> Result<Found, FuzzError> {
        let m = match drawn {
            Drawn::Trial(trial) => self.minimal_trial(*trial, &signature).await,
            Drawn::Smith(smith) => self.minimal_smith(kind, smith, &signature).await?,
        };
        let notes = [
            format!(
                "Found by `{}` at trial {index} (seed {seed}), after {cases} cases and {:.1} s.",
                self.options.fuzz_command,
                after.as_secs_f64()
            ),
            format!(
                "Shrunk from weight {} to {} in {} reductions (weight: module bytes, plus steps, limits and cycles).",
                m.original, m.weight, m.reductions
            ),
        ];
        let mut found = Found {
            id: m.id.clone(),
            kind,
            signature,
            trial: Some((index, seed)),
            cases_until_found: cases,
            seconds_until_found: after.as_secs_f64(),
            original_weight: m.original,
            shrunk_weight: m.weight,
            module_bytes: m.module_bytes,
            steps: m.steps,
            shrink_reductions: m.reductions,
            same_signature: 0,
            known: false,
            file: None,
            repro: None,
            text: String::new(),
        };
        let Some(dir) = &self.options.corpus else {
            found.text = (m.text)(
                &notes,
                "write it with `--corpus DIR`, then `lifecycle-kit run ... --cases DIR/ID.toml`",
            )
            .unwrap_or_else(|e| format!("(cannot print the case: {e})"));
            return Ok(found);
        };
        let file = corpus::path(dir, &m.id);
        let repro = self.repro(&file);
        let write_error = |cause| FuzzError::Write {
            path: file.clone(),
            cause,
        };
        found.known = file.exists();
        if !found.known {
            let text = (m.text)(&notes, &repro).map_err(write_error)?;
            corpus::write_text(dir, &m.id, &text).map_err(write_error)?;
            found.text = text;
        }
        found.file = Some(file);
        found.repro = Some(repro);
        Ok(found)
    }

    /// A trial shrunk while it fails the same way.
    async fn minimal_trial(&self, trial: Trial, signature: &Signature) -> Minimal {
        let original = trial.weight();
        let jobs = self.options.jobs.max(1);
        let shrunk = shrink::shrink(
            trial,
            Trial::weight,
            Trial::smaller,
            |batch: Vec<Trial>| {
                let (make, want) = (self.make.clone(), signature.clone());
                async move { same_failure_trials(&make, batch, &want, jobs).await }
            },
            self.options.shrink_time,
        )
        .await;
        let t = shrunk.minimal;
        let bytes = t.bytes();
        let shape = format!("{:?}|{:?}|{:?}|{}", t.profile, t.limits, t.steps, t.cycles);
        let id = corpus::id(signature, &bytes, &shape);
        // Drawn trials are exact, and a shrink keeps only exact ones.
        let prediction = t.expected().ok().and_then(|mut all| all.pop());
        let signature = signature.clone();
        Minimal {
            id: id.clone(),
            original,
            weight: t.weight(),
            module_bytes: bytes.len(),
            steps: t.steps.len(),
            reductions: shrunk.steps,
            text: Box::new(move |notes, repro| {
                let p = prediction
                    .as_ref()
                    .ok_or_else(|| std::io::Error::other("the oracle cannot predict it"))?;
                corpus::text(
                    &corpus::Entry {
                        id: &id,
                        signature: &signature,
                        notes,
                        profile: t.profile,
                        limits: &t.limits,
                        steps: &t.steps,
                        cycles: t.cycles,
                        bytes: &bytes,
                        expected: Some((&p.summary, Some(&p.memory_bytes))),
                    },
                    repro,
                )
            }),
        }
    }

    /// A wasm-smith module shrunk while it fails the same way. A difference is written
    /// with what the other runtime did as the expectation; a broken invariant with the
    /// invariants alone.
    async fn minimal_smith(
        &self,
        kind: Kind,
        smith: Smith,
        signature: &Signature,
    ) -> Result<Minimal, FuzzError> {
        let original = smith.bytes.len();
        let jobs = self.options.jobs.max(1);
        let shrunk = shrink::shrink(
            smith,
            |s: &Smith| s.bytes.len(),
            Smith::smaller,
            |batch: Vec<Smith>| {
                let (make, against, want) =
                    (self.make.clone(), self.against.clone(), signature.clone());
                async move { same_failure_smith(&make, &against, batch, &want, jobs).await }
            },
            self.options.shrink_time,
        )
        .await;
        let s = shrunk.minimal;
        let expected: Option<Summary> = match (kind, &self.against) {
            (Kind::Differential, Some((other, _))) => {
                let r = results(other, vec![s.case("smith".into())], 1).await?;
                r.first()
                    .and_then(|r| r.actual.as_ref())
                    .and_then(|v| Summary::from_json(v).ok())
            }
            _ => None,
        };
        let id = corpus::id(signature, &s.bytes, "smith");
        let (signature, bytes) = (signature.clone(), s.bytes);
        let steps = crate::case::smith_steps();
        Ok(Minimal {
            id: id.clone(),
            original,
            weight: bytes.len(),
            module_bytes: bytes.len(),
            steps: steps.len(),
            reductions: shrunk.steps,
            text: Box::new(move |notes, repro| {
                corpus::text(
                    &corpus::Entry {
                        id: &id,
                        signature: &signature,
                        notes,
                        profile: lifecycle_contract::Profile::Strict,
                        limits: &lifecycle_generators::fuzz::smith_limits(),
                        steps: &steps,
                        cycles: 1,
                        bytes: &bytes,
                        expected: expected.as_ref().map(|s| (s, None)),
                    },
                    repro,
                )
            }),
        })
    }
}

/// A shrunk failure, ready to be written.
struct Minimal {
    id: String,
    original: usize,
    weight: usize,
    module_bytes: usize,
    steps: usize,
    reductions: u32,
    /// The case file's text, given its notes and reproduce line.
    #[allow(clippy::type_complexity)]
    text: Box<dyn Fn(&[String], &str) -> std::io::Result<String> + Send>,
}

/// For each trial, in order: whether it fails with `want` on a fresh subject (a trial
/// the oracle cannot predict exactly does not count, and does not run).
async fn same_failure_trials<S: Subject>(
    make: &Make<S>,
    batch: Vec<Trial>,
    want: &Signature,
    jobs: usize,
) -> Vec<bool> {
    let cases: Vec<Option<Case>> = batch
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Case::from_trial(format!("shrink-{i}"), t)
                .ok()
                .filter(|c| matches!(c.modules[0].expected, crate::case::Expected::Exact(_)))
        })
        .collect();
    let runnable: Vec<Case> = cases.iter().flatten().cloned().collect();
    let Ok(results) = results(make, runnable, jobs).await else {
        return vec![false; batch.len()];
    };
    let mut results = results.into_iter();
    cases
        .iter()
        .map(|c| {
            c.is_some()
                && results
                    .next()
                    .and_then(|r| Signature::of(&r))
                    .is_some_and(|s| s == *want)
        })
        .collect()
}

/// For each smith module: whether it fails with `want` (against the other runtime for a
/// difference).
async fn same_failure_smith<S: Subject, T: Subject>(
    make: &Make<S>,
    against: &Option<(Make<T>, String)>,
    batch: Vec<Smith>,
    want: &Signature,
    jobs: usize,
) -> Vec<bool> {
    let cases: Vec<Case> = batch
        .iter()
        .enumerate()
        .map(|(i, s)| s.case(format!("shrink-{i}")))
        .collect();
    let Ok(mine) = results(make, cases.clone(), jobs).await else {
        return vec![false; batch.len()];
    };
    let theirs = match against {
        Some((other, _)) => results(other, cases, jobs).await.unwrap_or_default(),
        None => Vec::new(),
    };
    mine.iter()
        .enumerate()
        .map(|(i, r)| {
            let shown = Signature::of(r).or_else(|| {
                let (_, name) = against.as_ref()?;
                difference(r, theirs.get(i)?, name)
            });
            shown.is_some_and(|s| s == *want)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ran(actual: Value) -> CaseResult {
        CaseResult {
            id: "smith".into(),
            clauses: vec!["LC-STATE-2".into()],
            description: String::new(),
            verdict: Verdict::Pass,
            duration: Duration::ZERO,
            trace: None,
            expected: None,
            actual: Some(actual),
            repro: None,
        }
    }

    fn run_of(health: Value) -> Value {
        json!({
            "final_state": "terminated",
            "transitions": [["creating", "starting"], ["starting", "ready"], ["ready", "stopping"], ["stopping", "terminated"]],
            "ops": [
                {"op": "start", "ok": true, "calls": [{"export": "_start", "outcome": "returned"}]},
                health,
                {"op": "stop", "ok": true, "warnings": [], "calls": []},
            ],
            "live_instances": 0, "accounted_memory_bytes": 0,
        })
    }

    #[test]
    fn a_difference_between_two_runtimes_is_filed_under_the_clause_that_diverged() {
        let mine = ran(run_of(
            json!({"op": "health", "ok": true, "health": "healthy", "calls": []}),
        ));
        let theirs = ran(run_of(
            json!({"op": "health", "ok": true, "health": "degraded",
            "reason": "guest_reported", "calls": [{"export": "_health", "outcome": "returned"}]}),
        ));
        let s = difference(&mine, &theirs, "wasmi").expect("they differ");
        assert_eq!(s.clause, "LC-HEALTH-2");
        assert!(
            s.field.starts_with("differs from wasmi: ops[health]"),
            "{s}"
        );
        // An outcome each engine decides ends the comparison there.
        let spun = |outcome: &str| {
            ran(run_of(
                json!({"op": "health", "ok": true, "health": "unhealthy",
                "reason": outcome, "calls": [{"export": "_health", "outcome": outcome}]}),
            ))
        };
        assert_eq!(
            difference(&spun("fuel_exhausted"), &spun("execution_timeout"), "wasmi"),
            None
        );
    }
}
