//! Mutation testing of the conformance suite: the reference runtime with exactly one
//! injected defect each ([`Defect`]), run through the suite. A mutant is killed when some
//! case fails against it; a survivor means a case is missing.

use crate::runtime::defects::Defect;
use crate::runtime::{Runtime, RuntimeConfig};
use lifecycle_conformance::{Case, RunOptions, Verdict};
use serde_json::{Value, json};
use std::time::Duration;

/// A factory of reference runtimes with `defect` injected.
pub fn faulty(defect: Defect) -> impl Fn() -> Result<Runtime, String> + Send + Sync + 'static {
    move || {
        Runtime::with_config(RuntimeConfig {
            defect: Some(defect),
            ..RuntimeConfig::default()
        })
        .map_err(|e| e.to_string())
    }
}

#[derive(Clone, Debug)]
pub struct MutantResult {
    pub defect: Defect,
    /// The cases that failed against it (empty: it survived).
    pub killed_by: Vec<String>,
}

/// Runs every case against every mutant.
pub async fn run(cases: &[Case], options: &RunOptions) -> Vec<MutantResult> {
    let mut results = Vec::new();
    for &defect in Defect::ALL {
        let options = RunOptions {
            repro_command: Some(format!(
                "lifecycle-kit run --runtime faulty:{}",
                defect.name()
            )),
            ..options.clone()
        };
        let report =
            lifecycle_conformance::run_cases(faulty(defect), cases.to_vec(), options).await;
        let killed_by = report
            .results
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Fail(_) | Verdict::Xpass(_)))
            .map(|r| r.id.clone())
            .collect();
        results.push(MutantResult { defect, killed_by });
    }
    results
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
