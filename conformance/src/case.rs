//! Conformance cases as data: `conformance/cases/*.toml`.
//!
//! ```toml
//! [[case]]
//! id = "stop-twice"                    # unique, kebab-case
//! clauses = ["LC-STATE-5", "LC-STOP-2"]
//! scenario = "cleanup-returns"         # or: seed = 42 | wat = "(module)" | file = "x.wasm"
//! description = "..."                  # optional: defaults to the scenario's
//! profile = "standard"                 # optional override
//! limits = { fuel_per_call = 1000 }    # optional overrides (durations in ms)
//! steps = ["start", { send = "hi" }, "health", { stop_ms = 100 }, "stop"]
//! cycles = 50                          # the steps on this many fresh components in turn
//! requires = ["fuel"]                  # beyond what is derived from the case
//! # For `wat` and `file` modules the expectation is written out:
//! expect = { final_state = "terminated", ops = [{ op = "start", ok = true }, ...] }
//! ```
//!
//! Modules from the generators (`scenario`, `seed`) take their expectation from the
//! oracle, recomputed with the case's overrides.

use crate::subject::{Capability, ModuleInput};
use lifecycle_contract::limits::DEFAULT_STOP_TIMEOUT;
use lifecycle_contract::{Limits, Profile, State, Step, Summary};
use lifecycle_generators::catalogue;
use lifecycle_generators::oracle::{self, Subject};
use lifecycle_generators::scenario::{Module, Scenario};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A case file that cannot be used, named with what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("cannot read {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("no case checks {}: every SPEC.md clause needs at least one", clauses.join(", "))]
    Uncovered { clauses: Vec<String> },
}

/// What a run of a case must show.
#[derive(Clone, Debug)]
pub enum Expected {
    /// The oracle's exact outcome.
    Exact(Summary),
    /// Written in the case: final state and each op in the `trace --json` shape.
    Written {
        final_state: State,
        ops: serde_json::Value,
    },
    /// No exact outcome (wasm-smith modules): the invariants must hold.
    Invariants,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub id: String,
    pub clauses: Vec<String>,
    pub description: String,
    pub module: ModuleInput,
    pub profile: Profile,
    pub limits: Limits,
    pub steps: Vec<Step>,
    pub cycles: u32,
    pub requires: BTreeSet<Capability>,
    pub expected: Expected,
    /// The file the case came from, for messages.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(rename = "case", default)]
    cases: Vec<CaseToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseToml {
    id: String,
    clauses: Vec<String>,
    description: Option<String>,
    scenario: Option<String>,
    seed: Option<u64>,
    wat: Option<String>,
    file: Option<String>,
    profile: Option<String>,
    limits: Option<LimitsToml>,
    steps: Option<Vec<toml::Value>>,
    cycles: Option<u32>,
    #[serde(default)]
    requires: Vec<Capability>,
    expect: Option<ExpectToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsToml {
    max_memory_bytes: Option<u64>,
    max_table_elements: Option<u64>,
    fuel_per_call: Option<u64>,
    start_timeout_ms: Option<u64>,
    call_timeout_ms: Option<u64>,
    health_timeout_ms: Option<u64>,
    max_message_bytes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectToml {
    final_state: String,
    ops: Vec<toml::Value>,
}

impl LimitsToml {
    fn apply(&self, l: &mut Limits) {
        let ms = Duration::from_millis;
        if let Some(v) = self.max_memory_bytes {
            l.max_memory_bytes = v;
        }
        if let Some(v) = self.max_table_elements {
            l.max_table_elements = v;
        }
        if let Some(v) = self.fuel_per_call {
            l.fuel_per_call = v;
        }
        if let Some(v) = self.start_timeout_ms {
            l.start_timeout = ms(v);
        }
        if let Some(v) = self.call_timeout_ms {
            l.call_timeout = ms(v);
        }
        if let Some(v) = self.health_timeout_ms {
            l.health_timeout = ms(v);
        }
        if let Some(v) = self.max_message_bytes {
            l.max_message_bytes = v;
        }
    }
}

fn step(value: &toml::Value) -> Result<Step, String> {
    match value {
        toml::Value::String(word) => match word.as_str() {
            "start" => Ok(Step::Start),
            "health" => Ok(Step::Health),
            "stop" => Ok(Step::Stop(DEFAULT_STOP_TIMEOUT)),
            other => Err(format!(
                "unknown step `{other}` (expected start, health, stop, {{ send = \"..\" }} or {{ stop_ms = N }})"
            )),
        },
        toml::Value::Table(t) if t.len() == 1 => match t.iter().next() {
            Some((k, toml::Value::String(text))) if k == "send" => {
                Ok(Step::Send(text.as_bytes().to_vec()))
            }
            Some((k, toml::Value::Integer(ms))) if k == "stop_ms" && *ms >= 0 => {
                Ok(Step::Stop(Duration::from_millis(*ms as u64)))
            }
            Some((k, _)) => Err(format!(
                "unknown step key `{k}` (expected `send` = text or `stop_ms` = milliseconds)"
            )),
            None => unreachable!("one entry"),
        },
        other => Err(format!("unknown step `{other}`")),
    }
}

/// Capabilities a case needs, read off its profile and expectation.
fn derived_requirements(
    profile: Profile,
    limits: &Limits,
    expected_json: &str,
) -> BTreeSet<Capability> {
    let mut needs = BTreeSet::new();
    if profile == Profile::Standard {
        needs.insert(Capability::StandardProfile);
    }
    if limits.fuel_per_call != Limits::default().fuel_per_call
        || expected_json.contains("fuel_exhausted")
    {
        needs.insert(Capability::Fuel);
    }
    if expected_json.contains("timeout") {
        needs.insert(Capability::Timeouts);
    }
    needs
}

impl CaseToml {
    fn resolve(self, dir: &Path) -> Result<Case, String> {
        let sources = [
            self.scenario.is_some(),
            self.seed.is_some(),
            self.wat.is_some(),
            self.file.is_some(),
        ];
        if sources.iter().filter(|&&s| s).count() != 1 {
            return Err("needs exactly one of `scenario`, `seed`, `wat`, `file`".into());
        }
        let scenario: Option<Scenario> = match (&self.scenario, self.seed) {
            (Some(name), _) => Some(catalogue::find(name).ok_or_else(|| format!("key `scenario`: no generator scenario named `{name}` (see `lifecycle-kit gen --list`)"))?),
            (None, Some(seed)) => Some(lifecycle_generators::random::scenario(seed)),
            _ => None,
        };
        let mut profile = scenario.as_ref().map_or(Profile::Strict, |s| s.profile);
        if let Some(p) = &self.profile {
            profile = p.parse().map_err(|e| format!("key `profile`: {e}"))?;
        }
        let mut limits = scenario
            .as_ref()
            .map_or_else(Limits::default, |s| s.limits.clone());
        if let Some(l) = &self.limits {
            l.apply(&mut limits);
        }
        let steps = match &self.steps {
            Some(values) => values
                .iter()
                .enumerate()
                .map(|(i, v)| step(v).map_err(|e| format!("key `steps`, step {}: {e}", i + 1)))
                .collect::<Result<Vec<_>, _>>()?,
            None => scenario.as_ref().map_or_else(
                || vec![Step::Start, Step::Stop(DEFAULT_STOP_TIMEOUT)],
                |s| s.script.steps(),
            ),
        };
        let module = match (&scenario, &self.wat, &self.file) {
            (Some(s), _, _) => ModuleInput::Bytes(Arc::from(s.bytes())),
            (None, Some(text), _) => ModuleInput::Bytes(Arc::from(
                wat::parse_str(text).map_err(|e| format!("key `wat`: {e}"))?,
            )),
            (None, None, Some(file)) => ModuleInput::File(dir.join(file)),
            _ => unreachable!("one source"),
        };
        let expected = match (&scenario, self.expect) {
            (Some(_), Some(_)) => {
                return Err(
                    "key `expect`: generator modules take their expectation from the oracle".into(),
                );
            }
            (Some(s), None) => {
                let subject = match &s.module {
                    Module::Spec(spec) => Subject::Spec(spec),
                    Module::Unstartable { error, .. } => Subject::Unstartable(error),
                };
                Expected::Exact(
                    oracle::expect_steps(subject, profile, &limits, &steps)
                        .map_err(|e| e.to_string())?,
                )
            }
            (None, None) => {
                return Err(
                    "key `expect`: `wat` and `file` modules need a written expectation".into(),
                );
            }
            (None, Some(e)) => {
                let final_state = State::ALL
                    .into_iter()
                    .find(|s| s.as_str() == e.final_state)
                    .ok_or_else(|| {
                        format!(
                            "key `expect.final_state`: unknown state `{}`",
                            e.final_state
                        )
                    })?;
                let ops =
                    serde_json::to_value(&e.ops).map_err(|e| format!("key `expect.ops`: {e}"))?;
                Expected::Written { final_state, ops }
            }
        };
        let expected_json = match &expected {
            Expected::Exact(s) => s.to_json().to_string(),
            Expected::Written { ops, .. } => ops.to_string(),
            Expected::Invariants => String::new(),
        };
        let mut requires = derived_requirements(profile, &limits, &expected_json);
        requires.extend(self.requires);
        Ok(Case {
            description: self
                .description
                .or_else(|| scenario.as_ref().map(|s| s.description.clone()))
                .unwrap_or_default(),
            id: self.id,
            clauses: self.clauses,
            module,
            profile,
            limits,
            steps,
            cycles: self.cycles.unwrap_or(1).max(1),
            requires,
            expected,
            source: String::new(),
        })
    }
}

fn kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Every case in `dir/*.toml`, checked: unique kebab-case ids, known clauses, and every
/// clause of SPEC.md covered.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, CaseError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|cause| CaseError::Read {
            path: path.to_path_buf(),
            cause,
        })
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|cause| CaseError::Read {
            path: dir.to_path_buf(),
            cause,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let known: BTreeSet<&str> = crate::spec::clause_ids().into_iter().collect();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut cases = Vec::new();
    for path in files {
        let invalid = |message: String| CaseError::Invalid {
            path: path.clone(),
            message,
        };
        let file: CaseFile = toml::from_str(&read(&path)?).map_err(|e| invalid(e.to_string()))?;
        for raw in file.cases {
            let id = raw.id.clone();
            if !kebab(&id) {
                return Err(invalid(format!("case id `{id}` is not kebab-case")));
            }
            if let Some(other) = seen.insert(id.clone(), path.clone()) {
                return Err(invalid(format!(
                    "case `{id}` is also defined in {}",
                    other.display()
                )));
            }
            if raw.clauses.is_empty() {
                return Err(invalid(format!("case `{id}`: key `clauses` is empty")));
            }
            if let Some(unknown) = raw.clauses.iter().find(|c| !known.contains(c.as_str())) {
                return Err(invalid(format!(
                    "case `{id}`: key `clauses`: `{unknown}` is not a clause of SPEC.md"
                )));
            }
            let mut case = raw
                .resolve(dir)
                .map_err(|m| invalid(format!("case `{id}`: {m}")))?;
            case.source = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            cases.push(case);
        }
    }
    let uncovered: Vec<String> = known
        .iter()
        .filter(|c| {
            !cases
                .iter()
                .any(|case| case.clauses.iter().any(|x| x == *c))
        })
        .map(|c| c.to_string())
        .collect();
    if !uncovered.is_empty() {
        return Err(CaseError::Uncovered { clauses: uncovered });
    }
    Ok(cases)
}

/// The expectations file shipped for a built-in runtime (`conformance/expectations/NAME.toml`),
/// if there is one.
pub fn builtin_expectations(runtime: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("expectations")
        .join(format!("{runtime}.toml"));
    path.is_file().then_some(path)
}

/// The cases shipped with this crate.
pub fn builtin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// The extended families: `count` seeded scenarios (exact expectations) and `count / 5`
/// wasm-smith modules (invariants), all from `seed`.
pub fn extended(seed: u64, count: usize) -> Vec<Case> {
    let mut out: Vec<Case> = lifecycle_generators::random::family(seed, count)
        .into_iter()
        .map(|s| {
            let steps = s.script.steps();
            let expected = s
                .expected()
                .expect("random scenarios are unambiguous by construction");
            let requires =
                derived_requirements(s.profile, &s.limits, &expected.to_json().to_string());
            Case {
                id: s.name.clone(),
                clauses: vec!["LC-STATE-2".into()],
                description: s.description.clone(),
                module: ModuleInput::Bytes(Arc::from(s.bytes())),
                profile: s.profile,
                limits: s.limits.clone(),
                steps,
                cycles: 1,
                requires,
                expected: Expected::Exact(expected),
                source: "extended".into(),
            }
        })
        .collect();
    for i in 0..count / 5 {
        let smith_seed = seed.wrapping_add(i as u64);
        let terminating = i % 2 == 0;
        let limits = Limits {
            start_timeout: Duration::from_millis(500),
            call_timeout: Duration::from_millis(200),
            health_timeout: Duration::from_millis(200),
            ..Limits::default()
        };
        out.push(Case {
            id: format!(
                "smith-{smith_seed}{}",
                if terminating { "-terminating" } else { "" }
            ),
            clauses: vec!["LC-STATE-2".into(), "LC-TEARDOWN-1".into()],
            description: "a wasm-smith module with every lifecycle export: invariants only".into(),
            module: ModuleInput::Bytes(Arc::from(lifecycle_generators::random::smith_module(
                smith_seed,
                terminating,
            ))),
            profile: Profile::Strict,
            limits,
            steps: vec![
                Step::Start,
                Step::Send(b"one".to_vec()),
                Step::Send(b"two".to_vec()),
                Step::Health,
                Step::Stop(Duration::from_millis(200)),
            ],
            cycles: 1,
            requires: [Capability::Fuel, Capability::Timeouts].into(),
            expected: Expected::Invariants,
            source: "extended".into(),
        });
    }
    out
}
