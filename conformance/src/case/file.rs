//! One case of a case file, read: the TOML shape of `[[case]]` (unknown keys are
//! errors), and its resolution into a [`Case`] with its modules, steps and expectation.
//!
//! Invariant: every problem names the key it is about ([`CaseProblem`]); the file and
//! the case id are added by [`super::load`], which knows them.

use super::error::{CaseProblem, StepProblem};
use super::generated::oracle_expectation;
use super::{Case, CaseModule, Expected, Timing};
use crate::one_line::wat_error;
use crate::subject::{Capability, ModuleSource};
use lifecycle_contract::limits::{DEFAULT_STOP_TIMEOUT, LimitsToml};
use lifecycle_contract::{Abi, ErrorKind, Limits, Operation, Profile, State, Step, Summary};
use lifecycle_generators::scenario::Scenario;
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseFile {
    #[serde(rename = "case", default)]
    pub(super) cases: Vec<CaseToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseToml {
    pub(super) id: String,
    pub(super) clauses: Vec<String>,
    description: Option<String>,
    scenario: Option<String>,
    seed: Option<u64>,
    wat: Option<String>,
    file: Option<String>,
    profile: Option<String>,
    /// `core` (the default) or `component`: the interface the module is run through.
    abi: Option<Abi>,
    /// The `wat` module is a core module with the canonical ABI's exports: the kit makes
    /// it a component of the WIT world `actor` (wit-component) before running it.
    #[serde(default)]
    componentize: bool,
    limits: Option<LimitsToml>,
    steps: Option<Vec<toml::Value>>,
    cycles: Option<u32>,
    #[serde(default)]
    alongside: Vec<String>,
    #[serde(default)]
    needs: Vec<Capability>,
    #[serde(default)]
    timing: Timing,
    expect: Option<ExpectToml>,
    /// For `wat` and `file` modules whose outcome nobody can predict: only the
    /// invariants of every run are checked.
    #[serde(default)]
    invariants: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectToml {
    final_state: String,
    transitions: Vec<(String, String)>,
    ops: Vec<toml::Value>,
    /// The linear memory the component has after each step, in bytes (optional).
    memory_after: Option<Vec<u64>>,
}

fn step(value: &toml::Value) -> Result<Step, StepProblem> {
    match value {
        toml::Value::String(word) => match word.as_str() {
            "start" => Ok(Step::Start),
            "health" => Ok(Step::Health),
            "stop" => Ok(Step::Stop(DEFAULT_STOP_TIMEOUT)),
            other => Err(StepProblem::UnknownWord(other.to_string())),
        },
        toml::Value::Table(t) if t.len() == 1 => match t.iter().next() {
            Some((k, toml::Value::String(text))) if k == "send" => {
                Ok(Step::Send(text.as_bytes().to_vec()))
            }
            Some((k, toml::Value::Integer(ms))) if k == "stop_ms" && *ms >= 0 => {
                Ok(Step::Stop(Duration::from_millis(*ms as u64)))
            }
            Some((k, _)) => Err(StepProblem::UnknownKey(k.clone())),
            None => unreachable!("one entry"),
        },
        other => Err(StepProblem::Unknown(other.clone())),
    }
}

fn state(name: &str, key: &'static str) -> Result<State, CaseProblem> {
    State::ALL
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| CaseProblem::UnknownState {
            key,
            name: name.to_string(),
        })
}

/// A written expectation, read into the same shape the oracle gives, with the memory
/// after each step if it is written.
fn written(expect: ExpectToml, steps: usize) -> Result<(Summary, Option<Vec<u64>>), CaseProblem> {
    if let Some(memory) = &expect.memory_after
        && memory.len() != steps
    {
        return Err(CaseProblem::MemoryAfter {
            values: memory.len(),
            steps,
        });
    }
    let final_state = state(&expect.final_state, "expect.final_state")?;
    let transitions = expect
        .transitions
        .iter()
        .map(|(from, to)| {
            Ok((
                state(from, "expect.transitions")?,
                state(to, "expect.transitions")?,
            ))
        })
        .collect::<Result<Vec<_>, CaseProblem>>()?;
    let ops = expect
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let json = serde_json::to_value(op)
                .map_err(|e| e.to_string())
                .and_then(code_in_digits);
            json.and_then(|json| Operation::from_json(&json).map_err(|e| e.to_string()))
                .map_err(|message| CaseProblem::Op {
                    index: i + 1,
                    message,
                })
        })
        .collect::<Result<Vec<_>, CaseProblem>>()?;
    let summary = Summary {
        ops,
        transitions,
        final_state,
        live_instances: 0,
        accounted_memory_bytes: 0,
    };
    Ok((summary, expect.memory_after))
}

/// An operation's `error.code` as a number: TOML's integers stop at 2^63 - 1, so a
/// `message_error` code (1 to 2^63) may be written as a string of digits.
fn code_in_digits(mut op: serde_json::Value) -> Result<serde_json::Value, String> {
    if let Some(code) = op.pointer_mut("/error/code")
        && let Some(digits) = code.as_str()
    {
        let number: u64 = digits
            .parse()
            .map_err(|_| format!("error.code `{digits}` is not a number from 0 to 2^64 - 1"))?;
        *code = number.into();
    }
    Ok(op)
}

fn find_scenario(name: &str, key: &'static str) -> Result<Scenario, CaseProblem> {
    lifecycle_generators::find(name).ok_or_else(|| CaseProblem::NoScenario {
        key,
        name: name.to_string(),
    })
}

impl CaseToml {
    pub(super) fn resolve(self, dir: &Path) -> Result<Case, CaseProblem> {
        let sources = [
            self.scenario.is_some(),
            self.seed.is_some(),
            self.wat.is_some(),
            self.file.is_some(),
        ];
        if sources.iter().filter(|&&s| s).count() != 1 {
            return Err(CaseProblem::ModuleSources);
        }
        let scenario: Option<Scenario> = match (&self.scenario, self.seed) {
            (Some(name), _) => Some(find_scenario(name, "scenario")?),
            (None, Some(seed)) => Some(lifecycle_generators::random::scenario(seed)),
            _ => None,
        };
        // A scenario is run through the ABI the case names, else its own.
        let scenario = scenario.map(|s| match self.abi {
            Some(abi) => s.abi(abi),
            None => s,
        });
        let abi = scenario
            .as_ref()
            .map_or(self.abi.unwrap_or_default(), |s| s.abi);
        let mut profile = scenario.as_ref().map_or(Profile::Strict, |s| s.profile);
        if let Some(p) = &self.profile {
            profile = p
                .parse::<Profile>()
                .map_err(|e| CaseProblem::Profile(e.to_string()))?;
        }
        let mut limits = scenario
            .as_ref()
            .map_or_else(Limits::default, |s| s.limits.clone());
        if let Some(l) = &self.limits {
            l.apply(&mut limits)?;
        }
        let steps = match &self.steps {
            Some(values) => values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    step(v).map_err(|problem| CaseProblem::Step {
                        index: i + 1,
                        problem,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => scenario.as_ref().map_or_else(
                || vec![Step::Start, Step::Stop(DEFAULT_STOP_TIMEOUT)],
                |s| s.script.steps(),
            ),
        };
        if self.componentize && (self.wat.is_none() || abi != Abi::Component) {
            return Err(CaseProblem::ComponentizeWhat);
        }
        let module = match (&scenario, &self.wat, &self.file) {
            (Some(s), _, _) => ModuleSource::Bytes(Arc::from(s.bytes())),
            (None, Some(text), _) => {
                let bytes = wat::parse_str(text).map_err(|e| CaseProblem::Wat(wat_error(&e)))?;
                let bytes = match self.componentize {
                    false => bytes,
                    true => lifecycle_generators::canonical::wrap(bytes, true)
                        .map_err(|e| CaseProblem::Componentize(e.to_string()))?,
                };
                ModuleSource::Bytes(Arc::from(bytes))
            }
            (None, None, Some(file)) => ModuleSource::File(dir.join(file)),
            _ => unreachable!("one source"),
        };
        if self.seed.is_some() && self.expect.is_some() {
            return Err(CaseProblem::ExpectationOfSeed);
        }
        let (expected, memory_after, derived) = match (&scenario, self.expect, self.invariants) {
            (Some(_), _, true) => return Err(CaseProblem::InvariantsOfGenerated),
            (Some(s), None, false) => {
                let (expected, memory) = oracle_expectation(s, profile, &limits, &steps)?;
                (expected, Some(memory), None)
            }
            (Some(s), Some(e), false) => {
                // A literal case: judged by what is written, the oracle's beside it.
                let (summary, memory) = written(e, steps.len())?;
                let (derived, derived_memory) = oracle_expectation(s, profile, &limits, &steps)?;
                let memory = memory.or(Some(derived_memory));
                (Expected::Exact(summary), memory, Some(derived))
            }
            (None, None, false) => {
                return Err(CaseProblem::NoExpectation);
            }
            (None, Some(_), true) => {
                return Err(CaseProblem::ExpectAndInvariants);
            }
            (None, None, true) => (Expected::Invariants, None, None),
            (None, Some(e), false) => {
                let (summary, memory) = written(e, steps.len())?;
                (Expected::Exact(summary), memory, None)
            }
        };
        if let (ModuleSource::File(path), Expected::Exact(summary)) = (&module, &expected) {
            // A missing module is a case only where the case says so (LC-START-1); else it
            // is a mistake in the file, found now rather than as a failure of the runtime.
            let not_found = summary.ops.iter().any(|op| {
                op.outcome
                    .error()
                    .is_some_and(|e| e.kind() == ErrorKind::ComponentNotFound)
            });
            if !not_found && !path.is_file() {
                return Err(CaseProblem::NoFile(path.clone()));
            }
        }
        let mut case = Case::single(
            self.id,
            self.clauses,
            self.description
                .or_else(|| scenario.as_ref().map(|s| s.description.clone()))
                .unwrap_or_default(),
            CaseModule {
                module,
                abi,
                spec: scenario.as_ref().and_then(|s| s.spec().cloned()),
                profile,
                limits,
                expected,
                memory_after,
                derived,
            },
            steps,
        );
        for name in &self.alongside {
            let other = find_scenario(name, "alongside")?;
            let (expected, memory) =
                oracle_expectation(&other, other.profile, &other.limits, &case.steps)?;
            case.modules.push(CaseModule::predicted(
                other.bytes(),
                (other.abi, other.spec().cloned()),
                other.profile,
                other.limits.clone(),
                (expected, memory),
            ));
        }
        case.needs = case.derived_needs();
        case.needs.extend(self.needs);
        case.cycles = self.cycles.unwrap_or(1).max(1);
        case.timing = self.timing;
        Ok(case)
    }
}
