//! Cases no file holds, made from the generators: a fuzzing trial, a wasm-smith module,
//! the extended families (`run --extended`); and the oracle's expectation for any
//! generator module, which case files with a `scenario`, `seed` or `alongside` take too.
//!
//! Invariant: a generated case names the clauses its expected outcomes show, by the
//! one table in [`crate::attribution`], and always [`GENERATED`].

use super::{Case, CaseModule, Expected};
use crate::subject::ModuleSource;
use lifecycle_contract::{Abi, Limits, Profile, Step, Summary};
use lifecycle_generators::fuzz::Trial;
use lifecycle_generators::oracle::{self, Ambiguous, Modelled};
use lifecycle_generators::scenario::Scenario;
use lifecycle_generators::spec::ModuleSpec;
use std::sync::Arc;
use std::time::Duration;

/// The oracle's expectation for `scenario` under the case's profile, limits and steps,
/// with the memory the component has after each step (the least of every conforming
/// outcome).
pub(super) fn oracle_expectation(
    scenario: &Scenario,
    profile: Profile,
    limits: &Limits,
    steps: &[Step],
) -> Result<(Expected, Vec<u64>), Ambiguous> {
    predicted(scenario.modelled(), profile, limits, steps)
}

/// The oracle's expectation for `modelled`, as [`oracle_expectation`] gives it.
pub(super) fn predicted(
    modelled: Modelled,
    profile: Profile,
    limits: &Limits,
    steps: &[Step],
) -> Result<(Expected, Vec<u64>), Ambiguous> {
    let all = oracle::predict_steps_any(modelled, profile, limits, steps)?;
    let memory = (0..steps.len())
        .map(|i| all.iter().map(|p| p.memory_bytes[i]).min().unwrap_or(0))
        .collect();
    let mut summaries: Vec<Summary> = all.into_iter().map(|p| p.summary).collect();
    let expected = match summaries.len() {
        1 => Expected::Exact(summaries.remove(0)),
        _ => Expected::AnyOf(summaries),
    };
    Ok((expected, memory))
}

impl Case {
    /// A fuzzing trial as a case, its expectation from the oracle (exact or any of
    /// several), with the memory after each step.
    pub fn from_trial(id: String, trial: &Trial) -> Result<Case, Ambiguous> {
        let (expected, memory) =
            predicted(trial.modelled(), trial.profile, &trial.limits, &trial.steps)?;
        let module = CaseModule::predicted(
            trial.bytes(),
            (trial.abi, Some(trial.spec.clone())),
            trial.profile,
            trial.limits.clone(),
            (expected, memory),
        );
        let mut case = Case::generated(
            id,
            "a fuzzing trial: the oracle's outcome, step by step".into(),
            module,
            trial.steps.clone(),
            "fuzz",
        );
        case.cycles = trial.cycles.max(1);
        Ok(case)
    }

    /// A wasm-smith module with every lifecycle export, put through start, two messages,
    /// health and stop under short timeouts: the invariants only.
    pub fn smith(id: String, bytes: Arc<[u8]>) -> Case {
        let module = CaseModule {
            module: ModuleSource::Bytes(bytes),
            abi: Abi::Core,
            spec: None,
            profile: Profile::Strict,
            limits: lifecycle_generators::fuzz::smith_limits(),
            expected: Expected::Invariants,
            memory_after: None,
            derived: None,
        };
        Case::single(
            id,
            vec![GENERATED.into(), "LC-TEARDOWN-1".into()],
            "a wasm-smith module with every lifecycle export: invariants only".into(),
            module,
            smith_steps(),
        )
    }
}

impl CaseModule {
    /// A generator module with the oracle's expectation and the memory after each step.
    pub(super) fn predicted(
        bytes: Vec<u8>,
        (abi, spec): (Abi, Option<ModuleSpec>),
        profile: Profile,
        limits: Limits,
        (expected, memory): (Expected, Vec<u64>),
    ) -> CaseModule {
        CaseModule {
            module: ModuleSource::Bytes(Arc::from(bytes)),
            abi,
            spec,
            profile,
            limits,
            expected,
            memory_after: Some(memory),
            derived: None,
        }
    }
}

impl Case {
    /// A case of one generated module, naming the clauses its expectation shows, from
    /// `source` (for messages).
    fn generated(
        id: String,
        description: String,
        module: CaseModule,
        steps: Vec<Step>,
        source: &str,
    ) -> Case {
        let clauses = generated_clauses(&module.expected);
        let mut case = Case::single(id, clauses, description, module, steps);
        case.source = source.into();
        case
    }
}

/// The clause every generated case checks: its transitions, step by step.
pub const GENERATED: &str = "LC-STATE-2";

/// The clauses a generated case checks: those its expected outcomes show, by the table
/// in [`crate::attribution`].
fn generated_clauses(expected: &Expected) -> Vec<String> {
    let mut clauses = std::collections::BTreeSet::from([GENERATED]);
    for s in expected.candidates() {
        clauses.extend(crate::attribution::clauses_checked(s));
    }
    clauses.into_iter().map(String::from).collect()
}

/// What a wasm-smith module is put through.
pub fn smith_steps() -> Vec<Step> {
    vec![
        Step::Start,
        Step::Send(b"one".to_vec()),
        Step::Send(b"two".to_vec()),
        Step::Health,
        Step::Stop(Duration::from_millis(200)),
    ]
}

/// The extended families: `count` seeded scenarios (exact expectations) and `count / 5`
/// wasm-smith modules (invariants), all from `seed`.
pub fn extended(seed: u64, count: usize) -> Vec<Case> {
    let mut out: Vec<Case> = lifecycle_generators::random::family(seed, count)
        .into_iter()
        .map(|s| {
            let (expected, memory) =
                oracle_expectation(&s, s.profile, &s.limits, &s.script.steps())
                    .expect("random scenarios are unambiguous by construction");
            let module = CaseModule::predicted(
                s.bytes(),
                (s.abi, s.spec().cloned()),
                s.profile,
                s.limits.clone(),
                (expected, memory),
            );
            Case::generated(
                s.name.clone(),
                s.description.clone(),
                module,
                s.script.steps(),
                "extended",
            )
        })
        .collect();
    for i in 0..count / 5 {
        let smith_seed = seed.wrapping_add(i as u64);
        let terminating = i % 2 == 0;
        let id = format!(
            "smith-{smith_seed}{}",
            if terminating { "-terminating" } else { "" }
        );
        let bytes = lifecycle_generators::random::smith_module(smith_seed, terminating);
        let mut case = Case::smith(id, Arc::from(bytes));
        case.source = "extended".into();
        out.push(case);
    }
    out
}
