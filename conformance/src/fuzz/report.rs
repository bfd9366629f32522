//! What a fuzz run found ([`FuzzReport`]), each failure once ([`Found`]), and how it
//! reads for a person; `fuzz --json` is the same report serialized.
//!
//! Invariant: a run fails when it found anything or a required capability is missing
//! ([`FuzzReport::failed`]); the summary line counts every drawn trial once.

use super::Signature;
use crate::subject::Capability;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

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
    /// Drawn but not run: on the component ABI, the wasm-smith modules and the trials
    /// whose spec has no component form (or an outcome there the oracle does not model).
    pub set_aside: u64,
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
    /// The libFuzzer crash file this report is the import of (`fuzz --import`), instead
    /// of a run of the loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<PathBuf>,
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
            if let (None, Some(crash)) = (f.trial, &self.imported) {
                out += &format!(
                    "  imported from {}; shrunk from weight {} to {} ({} bytes of module, {} steps) in {} reductions\n",
                    crash.display(),
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
        if let (Some(crash), true) = (&self.imported, self.found.is_empty() && self.ran > 0) {
            out += &format!(
                "{} passes on {}: nothing to import\n",
                crash.display(),
                self.runtime
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
            "fuzz {}{}: {} drawn ({} against the oracle, {} wasm-smith{}), {} ran, {unsupported}, {} failure(s), {} known; {:.1} s from {}, {} corpus case(s) replayed",
            self.runtime,
            self.against
                .as_ref()
                .map_or(String::new(), |a| format!(" against {a}")),
            self.cases,
            self.oracle_cases,
            self.smith_cases,
            match self.set_aside {
                0 => String::new(),
                n => format!(", {n} with no component form set aside"),
            },
            self.ran,
            self.found.len(),
            self.known.values().sum::<u64>(),
            self.seconds,
            match &self.imported {
                Some(crash) => format!("the crash {}", crash.display()),
                None => format!("seed {}", self.seed),
            },
            self.replayed,
        )
    }
}

/// The capabilities a run requires (`--require`) that some trial needed and the runtime
/// does not declare: what [`FuzzReport::required_missing`] holds, for a run of the loop
/// and an import alike.
pub(super) fn required_missing(
    unsupported: &BTreeMap<Capability, u64>,
    require: &BTreeSet<Capability>,
) -> BTreeSet<Capability> {
    unsupported
        .keys()
        .filter(|c| require.contains(c))
        .copied()
        .collect()
}
