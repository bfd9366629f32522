//! Failures made minimal: the corpus replayed first (each case that still fails is a
//! failure found again), then each new failure shrunk while it fails the same way and
//! written to the corpus as a case file with its notes and reproduce line.
//!
//! Invariant: a minimal case already in the corpus is reported as known, not written
//! again; a trial the oracle cannot predict exactly never counts as the same failure.

use super::differential::difference;
use super::drawn::{Drawn, Smith};
use super::{Found, Signature};
use super::{FuzzError, Kind, Origin, Run, corpus, results, shrink};
use crate::case::Case;
use crate::runner::Factory;
use crate::subject::Subject;
use lifecycle_contract::Summary;
use lifecycle_generators::fuzz::Trial;
use std::path::{Path, PathBuf};

impl<S: Subject, T: Subject> Run<'_, S, T> {
    /// Runs the corpus; each case that fails is a failure found again.
    pub(super) async fn replay(&mut self) -> Result<usize, FuzzError> {
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
    pub(super) async fn shrunk(
        &mut self,
        kind: Kind,
        signature: Signature,
        drawn: Drawn,
        origin: Origin,
    ) -> Result<Found, FuzzError> {
        let m = match drawn {
            Drawn::Trial(trial) => self.minimal_trial(*trial, &signature).await,
            Drawn::Smith(smith) => self.minimal_smith(kind, smith, &signature).await?,
        };
        let (trial, (cases, after)) = match &origin {
            Origin::Drawn {
                index,
                seed,
                cases,
                after,
            } => (Some((*index, *seed)), (*cases, *after)),
            Origin::Imported { .. } => (None, (1, self.began.elapsed())),
        };
        let notes = [
            match &origin {
                Origin::Drawn { index, seed, .. } => format!(
                    "Found by `{}` at trial {index} (seed {seed}), after {cases} cases and {:.1} s.",
                    self.options.fuzz_command,
                    after.as_secs_f64()
                ),
                Origin::Imported { file, target } => format!(
                    "Found by libFuzzer's `{target}` target (fuzz/), its crash {} imported by `{}`.",
                    file.display(),
                    self.options.fuzz_command,
                ),
            },
            format!(
                "Shrunk from weight {} to {} in {} reductions (weight: module bytes, plus steps, limits and cycles).",
                m.original, m.weight, m.reductions
            ),
        ];
        let mut found = Found {
            id: m.id.clone(),
            kind,
            signature,
            trial,
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
                        abi: t.abi,
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
                        abi: lifecycle_contract::Abi::Core,
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
    make: &Factory<S>,
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
    make: &Factory<S>,
    against: &Option<(Factory<T>, String)>,
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
