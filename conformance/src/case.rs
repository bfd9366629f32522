//! Conformance cases as data: `conformance/cases/*.toml`.
//!
//! ```toml
//! [[case]]
//! id = "stop-twice"                    # unique, kebab-case
//! clauses = ["LC-STATE-5", "LC-STOP-2"]
//! scenario = "cleanup-returns"         # or: seed = 42 | wat = "(module)" | file = "x.wasm"
//! description = "..."                  # optional: defaults to the scenario's
//! profile = "standard"                 # optional override
//! limits = { fuel_per_call = 1000 }    # optional overrides (durations in ms; fuel may
//!                                      # be "unlimited")
//! steps = ["start", { send = "hi" }, "health", { stop_ms = 100 }, "stop"]
//! cycles = 50                          # the steps on this many fresh components in turn
//! alongside = ["health-code-unhealthy"] # more scenarios, one component each, on the same
//!                                      # runtime, each step done on every one in turn
//! needs = ["fuel"]                     # beyond what is derived (SPEC.md, "Capabilities")
//! timing = "precise"                   # judge how late timeouts fire (LC-LIMIT-7)
//! # For `wat` and `file` modules the expectation is written out:
//! expect = { final_state = "terminated", transitions = [["creating", "starting"], ...],
//!            ops = [{ op = "start", ok = true, calls = [{ export = "_start", outcome = "returned" }] }, ...] }
//! ```
//!
//! Modules from the generators (`scenario`, `seed`, `alongside`) take their expectation
//! from the oracle, recomputed with the case's profile, limits and steps.

use crate::subject::{Capability, ModuleSource};
use lifecycle_contract::limits::{DEFAULT_STOP_TIMEOUT, LimitsToml};
use lifecycle_contract::{
    CallOutcome, ErrorKind, HealthReason, Limits, Operation, Outcome, Profile, State, Step,
    Summary, Warning,
};
use lifecycle_generators::fuzz::Trial;
use lifecycle_generators::oracle::{self, Modelled};
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

/// What a run of one component must show.
#[derive(Clone, Debug)]
pub enum Expected {
    /// The exact outcome: from the oracle, or written in the case.
    Exact(Summary),
    /// Any one of these: the oracle's outcomes where the engine's fuel cost or the
    /// machine's speed decides (see `oracle::predict_steps_any`).
    AnyOf(Vec<Summary>),
    /// No exact outcome (wasm-smith modules): the invariants must hold.
    Invariants,
}

impl Expected {
    /// The summaries a run may show: one for an exact expectation, several where the
    /// engine or the machine decides, none for the invariants.
    pub fn candidates(&self) -> &[Summary] {
        match self {
            Expected::Exact(one) => std::slice::from_ref(one),
            Expected::AnyOf(all) => all,
            Expected::Invariants => &[],
        }
    }
}

/// One module of a case, run as one component under its profile and limits, with what
/// it must show.
#[derive(Clone, Debug)]
pub struct CaseModule {
    pub module: ModuleSource,
    pub profile: Profile,
    pub limits: Limits,
    pub expected: Expected,
    /// The linear memory the component has after each step, where the oracle knows it
    /// (the least its counters may show while it is `ready`); else what the module
    /// declares is the least.
    pub memory_after: Option<Vec<u64>>,
}

/// How the runner judges the timing of a case's timeouts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// Each timeout fires after its limit and within the run's slack of it.
    #[default]
    Coarse,
    /// Also: the median lateness of the case's timeouts is within the contract's 100 ms
    /// (LC-LIMIT-7).
    Precise,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub id: String,
    pub clauses: Vec<String>,
    pub description: String,
    /// The case's components: its own module first, then any `alongside` (each under
    /// its own scenario's profile and limits). Each step is done on every component in
    /// turn, all on one runtime.
    pub modules: Vec<CaseModule>,
    pub steps: Vec<Step>,
    pub cycles: u32,
    /// Capabilities the case needs: derived (SPEC.md, "Capabilities") plus declared.
    pub needs: BTreeSet<Capability>,
    pub timing: Timing,
    /// The file the case came from (`extended` for the generated families), for messages.
    pub source: String,
}

impl Case {
    /// A case of one component.
    fn single(
        id: String,
        clauses: Vec<String>,
        description: String,
        module: CaseModule,
        steps: Vec<Step>,
    ) -> Case {
        let mut case = Case {
            id,
            clauses,
            description,
            modules: vec![module],
            steps,
            cycles: 1,
            needs: BTreeSet::new(),
            timing: Timing::Coarse,
            source: String::new(),
        };
        case.needs = case.derived_needs();
        case
    }

    /// The capabilities SPEC.md's rule derives: `standard_profile` for the standard
    /// profile; `fuel` if any outcome shows fuel running out (an error, a health reason,
    /// a cleanup warning or a guest call); `timeouts` if any shows a timeout. Limits
    /// alone never count: unlimited fuel is no need, and a finite budget that is never
    /// exhausted passes on a runtime without fuel.
    fn derived_needs(&self) -> BTreeSet<Capability> {
        let mut needs = BTreeSet::new();
        for module in &self.modules {
            if module.profile == Profile::Standard {
                needs.insert(Capability::StandardProfile);
            }
            match &module.expected {
                Expected::Exact(summary) => needs.extend(shown_needs(summary)),
                Expected::AnyOf(all) => needs.extend(all.iter().flat_map(shown_needs)),
                // Anything may happen: a wasm-smith module may loop.
                Expected::Invariants => needs.extend([Capability::Fuel, Capability::Timeouts]),
            }
        }
        needs
    }
}

/// What the outcomes of `summary` show the runtime must support.
fn shown_needs(summary: &Summary) -> BTreeSet<Capability> {
    let mut needs = BTreeSet::new();
    let mut shows = |fuel: bool, timeout: bool| {
        if fuel {
            needs.insert(Capability::Fuel);
        }
        if timeout {
            needs.insert(Capability::Timeouts);
        }
    };
    for op in &summary.ops {
        if let Some(e) = op.outcome.error() {
            shows(
                e.kind() == ErrorKind::FuelExhausted,
                e.kind() == ErrorKind::ExecutionTimeout,
            );
        }
        match &op.outcome {
            Outcome::Health(h) => shows(
                h.reason == Some(HealthReason::FuelExhausted),
                h.reason == Some(HealthReason::ExecutionTimeout),
            ),
            Outcome::Stop(Ok(warnings)) => {
                for w in warnings {
                    shows(
                        *w == Warning::CleanupFuelExhausted,
                        *w == Warning::CleanupTimeout,
                    );
                }
            }
            _ => {}
        }
        for call in &op.calls {
            shows(
                call.outcome == CallOutcome::FuelExhausted,
                call.outcome == CallOutcome::ExecutionTimeout,
            );
        }
    }
    needs
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

fn state(name: &str, key: &str) -> Result<State, String> {
    State::ALL
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| format!("key `{key}`: unknown state `{name}`"))
}

/// A written expectation, read into the same shape the oracle gives, with the memory
/// after each step if it is written.
fn written(expect: ExpectToml, steps: usize) -> Result<(Summary, Option<Vec<u64>>), String> {
    if let Some(memory) = &expect.memory_after
        && memory.len() != steps
    {
        return Err(format!(
            "key `expect.memory_after`: {} values for {steps} steps",
            memory.len()
        ));
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
        .collect::<Result<Vec<_>, String>>()?;
    let ops = expect
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let json = serde_json::to_value(op).map_err(|e| e.to_string());
            json.and_then(|json| Operation::from_json(&json))
                .map_err(|e| format!("key `expect.ops`, op {}: {e}", i + 1))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let summary = Summary {
        ops,
        transitions,
        final_state,
        live_instances: 0,
        accounted_memory_bytes: 0,
    };
    Ok((summary, expect.memory_after))
}

/// The oracle's expectation for `scenario` under the case's profile, limits and steps,
/// with the memory the component has after each step (the least of every conforming
/// outcome).
fn oracle_expectation(
    scenario: &Scenario,
    profile: Profile,
    limits: &Limits,
    steps: &[Step],
) -> Result<(Expected, Vec<u64>), String> {
    let modelled = match &scenario.module {
        Module::Spec(spec) => Modelled::Spec(spec),
        Module::Unstartable { error, .. } => Modelled::Unstartable(error),
    };
    predicted(modelled, profile, limits, steps)
}

/// The oracle's expectation for `modelled`, as [`oracle_expectation`] gives it.
fn predicted(
    modelled: Modelled,
    profile: Profile,
    limits: &Limits,
    steps: &[Step],
) -> Result<(Expected, Vec<u64>), String> {
    let all =
        oracle::predict_steps_any(modelled, profile, limits, steps).map_err(|e| e.to_string())?;
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

fn find_scenario(name: &str, key: &str) -> Result<Scenario, String> {
    lifecycle_generators::find(name).ok_or_else(|| {
        format!(
            "key `{key}`: no generator scenario named `{name}` (see `lifecycle-kit gen --list`)"
        )
    })
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
            (Some(name), _) => Some(find_scenario(name, "scenario")?),
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
            l.apply(&mut limits).map_err(|e| e.to_string())?;
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
            (Some(s), _, _) => ModuleSource::Bytes(Arc::from(s.bytes())),
            (None, Some(text), _) => ModuleSource::Bytes(Arc::from(
                wat::parse_str(text).map_err(|e| format!("key `wat`: {}", wat_error(&e)))?,
            )),
            (None, None, Some(file)) => ModuleSource::File(dir.join(file)),
            _ => unreachable!("one source"),
        };
        let (expected, memory_after) = match (&scenario, self.expect, self.invariants) {
            (Some(_), Some(_), _) | (Some(_), _, true) => {
                return Err(
                    "keys `expect` and `invariants`: generator modules take their expectation from the oracle".into(),
                );
            }
            (Some(s), None, false) => {
                let (expected, memory) = oracle_expectation(s, profile, &limits, &steps)?;
                (expected, Some(memory))
            }
            (None, None, false) => {
                return Err(
                    "key `expect`: `wat` and `file` modules need a written expectation (or `invariants = true`)".into(),
                );
            }
            (None, Some(_), true) => {
                return Err("keys `expect` and `invariants`: one or the other".into());
            }
            (None, None, true) => (Expected::Invariants, None),
            (None, Some(e), false) => {
                let (summary, memory) = written(e, steps.len())?;
                (Expected::Exact(summary), memory)
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
                return Err(format!(
                    "key `file`: {} is not a readable file (a case about a missing module expects `component_not_found`)",
                    path.display()
                ));
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
                profile,
                limits,
                expected,
                memory_after,
            },
            steps,
        );
        for name in &self.alongside {
            let other = find_scenario(name, "alongside")?;
            let (expected, memory) =
                oracle_expectation(&other, other.profile, &other.limits, &case.steps)?;
            case.modules.push(CaseModule {
                module: ModuleSource::Bytes(Arc::from(other.bytes())),
                profile: other.profile,
                limits: other.limits.clone(),
                expected,
                memory_after: Some(memory),
            });
        }
        case.needs = case.derived_needs();
        case.needs.extend(self.needs);
        case.cycles = self.cycles.unwrap_or(1).max(1);
        case.timing = self.timing;
        Ok(case)
    }
}

/// A TOML error on one line: where (line, column and the line itself) and what. The
/// crate's own rendering spreads over several lines, with a caret.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let Some(at) = e.span().and_then(|span| text.get(..span.start)) else {
        return message;
    };
    let line = at.matches('\n').count() + 1;
    let line_start = at.rfind('\n').map_or(0, |i| i + 1);
    let column = at[line_start..].chars().count() + 1;
    let source = text[line_start..].lines().next().unwrap_or_default().trim();
    format!(
        "line {line}, column {column} (`{}`): {message}",
        shorten(source, 80)
    )
}

/// `text` cut to `max` characters, with `...` where cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// A TOML error in a case file, on one line, naming the case it is in where the file
/// parses far enough to tell.
fn case_file_error(text: &str, e: &toml::de::Error) -> String {
    let at = toml_error(text, e);
    match e.span().and_then(|span| case_at(text, span.start)) {
        Some(id) => format!("case `{id}`: {at}"),
        None => at,
    }
}

/// The id of the case that `offset` in a case file falls in: the last one that begins
/// before it, if the file is TOML with a `case` array of tables.
fn case_at(text: &str, offset: usize) -> Option<String> {
    #[derive(Deserialize)]
    struct Outline {
        #[serde(default)]
        case: Vec<toml::Spanned<toml::Table>>,
    }
    let outline: Outline = toml::from_str(text).ok()?;
    let case = outline
        .case
        .iter()
        .rev()
        .find(|c| c.span().start <= offset)?;
    case.get_ref().get("id")?.as_str().map(String::from)
}

/// A WAT error on one line: `wat` renders the message, then the place and the source
/// line with a caret on lines of their own.
pub(crate) fn wat_error(e: &wat::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines();
    let message = lines.next().unwrap_or_default().trim().to_string();
    let at = lines
        .find_map(|l| l.trim().strip_prefix("--> "))
        .and_then(|place| {
            let mut parts = place.rsplitn(3, ':');
            let (column, line) = (parts.next()?, parts.next()?);
            Some(format!(" at line {line}, column {column} of the WAT"))
        });
    message + &at.unwrap_or_default()
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
    let cases = load_files(&toml_files(dir)?)?;
    let known = crate::spec::clause_ids();
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

/// The `*.toml` files in `dir`, sorted.
pub fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, CaseError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|cause| CaseError::Read {
            path: dir.to_path_buf(),
            cause,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

/// The cases of one file (a fuzzing corpus case, say): checked as [`load_dir`] checks
/// them, but for covering every clause, which is a suite's duty, not a file's.
pub fn load_file(path: &Path) -> Result<Vec<Case>, CaseError> {
    load_files(&[path.to_path_buf()])
}

/// The cases of `files`, in order: unique kebab-case ids and known clauses.
pub fn load_files(files: &[PathBuf]) -> Result<Vec<Case>, CaseError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|cause| CaseError::Read {
            path: path.to_path_buf(),
            cause,
        })
    };
    let known: BTreeSet<&str> = crate::spec::clause_ids().into_iter().collect();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut cases = Vec::new();
    for path in files {
        let dir = path.parent().unwrap_or(Path::new("."));
        let invalid = |message: String| CaseError::Invalid {
            path: path.clone(),
            message,
        };
        let text = read(path)?;
        let file: CaseFile =
            toml::from_str(&text).map_err(|e| invalid(case_file_error(&text, &e)))?;
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
    Ok(cases)
}

/// The built-in cases and the expectations shipped for built-in runtimes, compiled into
/// the crate, so that a binary runs the cases its generators were built with, wherever it
/// is run from.
static BUILTIN: [(&str, include_dir::Dir<'static>); 2] = [
    (
        "cases",
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/cases"),
    ),
    (
        "expectations",
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/expectations"),
    ),
];

/// The expectations file shipped for a built-in runtime (`expectations/NAME.toml`), if
/// there is one.
pub fn builtin_expectations(runtime: &str) -> Option<PathBuf> {
    let path = builtin_root()
        .join("expectations")
        .join(format!("{runtime}.toml"));
    path.is_file().then_some(path)
}

/// The cases shipped with this crate, as a directory (`cases/`, with its `modules/`).
pub fn builtin_dir() -> PathBuf {
    builtin_root().join("cases")
}

/// Writes a copy of the built-in cases (their TOML files and `modules/`) into `to`: a
/// start for a cases directory of your own (`run --cases`), which must still cover every
/// clause.
pub fn copy_builtin_cases(to: &Path) -> std::io::Result<()> {
    let (_, cases) = &BUILTIN[0];
    std::fs::create_dir_all(to)?;
    extract(cases, to)
}

/// Where the built-in files are on disk: written once, from the compiled-in copy, into a
/// directory named by their content (so that every process of one build shares it and
/// no two builds mix), moved into place whole so that no reader sees it half written.
fn builtin_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let mut stable = crate::hash::StableHash::new();
        for (name, dir) in &BUILTIN {
            stable.feed(name.as_bytes());
            for file in all_files(dir) {
                stable.feed(file.path().to_string_lossy().as_bytes());
                stable.feed(file.contents());
            }
        }
        let hash = stable.finish();
        let root = std::env::temp_dir().join(format!("lifecycle-kit-builtin-{hash:016x}"));
        if root.is_dir() {
            return root;
        }
        let staging = std::env::temp_dir().join(format!(
            "lifecycle-kit-builtin-{hash:016x}.{}",
            std::process::id()
        ));
        let written = BUILTIN
            .iter()
            .try_for_each(|(name, dir)| extract(dir, &staging.join(name)));
        match written.and_then(|()| std::fs::rename(&staging, &root)) {
            Ok(()) => root,
            // Another process moved its copy into place first: the same content.
            Err(_) if root.is_dir() => {
                let _ = std::fs::remove_dir_all(&staging);
                root
            }
            // No writable temporary directory: the crate's own files, where they are.
            Err(e) => {
                tracing::warn!(error = %e, "cannot write the built-in cases; reading them from the source tree");
                let _ = std::fs::remove_dir_all(&staging);
                Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
            }
        }
    })
    .clone()
}

fn all_files<'a>(dir: &'a include_dir::Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<&include_dir::File> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(all_files(sub));
    }
    files
}

fn extract(dir: &include_dir::Dir, into: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(into.join(dir.path()))?;
    for file in dir.files() {
        std::fs::write(into.join(file.path()), file.contents())?;
    }
    for sub in dir.dirs() {
        extract(sub, into)?;
    }
    Ok(())
}

impl Case {
    /// A fuzzing trial as a case, its expectation from the oracle (exact or any of
    /// several), with the memory after each step.
    pub fn from_trial(id: String, trial: &Trial) -> Result<Case, String> {
        let (expected, memory) = predicted(
            Modelled::Spec(&trial.spec),
            trial.profile,
            &trial.limits,
            &trial.steps,
        )?;
        let module = CaseModule {
            module: ModuleSource::Bytes(Arc::from(trial.bytes())),
            profile: trial.profile,
            limits: trial.limits.clone(),
            expected,
            memory_after: Some(memory),
        };
        let clauses = generated_clauses(&module.expected);
        let mut case = Case::single(
            id,
            clauses,
            "a fuzzing trial: the oracle's outcome, step by step".into(),
            module,
            trial.steps.clone(),
        );
        case.cycles = trial.cycles.max(1);
        case.source = "fuzz".into();
        Ok(case)
    }

    /// A wasm-smith module with every lifecycle export, put through start, two messages,
    /// health and stop under short timeouts: the invariants only.
    pub fn smith(id: String, bytes: Arc<[u8]>) -> Case {
        let module = CaseModule {
            module: ModuleSource::Bytes(bytes),
            profile: Profile::Strict,
            limits: lifecycle_generators::fuzz::smith_limits(),
            expected: Expected::Invariants,
            memory_after: None,
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
            let module = CaseModule {
                module: ModuleSource::Bytes(Arc::from(s.bytes())),
                profile: s.profile,
                limits: s.limits.clone(),
                expected,
                memory_after: Some(memory),
            };
            let clauses = generated_clauses(&module.expected);
            let mut case = Case::single(
                s.name.clone(),
                clauses,
                s.description.clone(),
                module,
                s.script.steps(),
            );
            case.source = "extended".into();
            case
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

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_CASES: &str = "[[case]]\nid = \"first\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\n\n[[case]]\nid = \"second\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nlimits = { call_timeout_ms = -5 }\n";

    #[test]
    fn a_toml_error_is_one_line_naming_the_case_the_place_and_the_line() {
        let e = toml::from_str::<CaseFile>(TWO_CASES).err().unwrap();
        let why = case_file_error(TWO_CASES, &e);
        assert_eq!(
            why,
            "case `second`: line 10, column 30 (`limits = { call_timeout_ms = -5 }`): invalid value: integer `-5`, expected u64"
        );
        let first = TWO_CASES.replacen("scenario = \"echo\"\n", "retries = 2\n", 1);
        let e = toml::from_str::<CaseFile>(&first).err().unwrap();
        let why = case_file_error(&first, &e);
        assert!(
            why.starts_with(
                "case `first`: line 4, column 1 (`retries = 2`): unknown field `retries`"
            ),
            "{why}"
        );
        let broken = "[[case]\nid = 3";
        let e = toml::from_str::<CaseFile>(broken).err().unwrap();
        let why = case_file_error(broken, &e);
        assert!(why.starts_with("line 1, column 8 (`[[case]`): "), "{why}");
        assert_eq!(why.lines().count(), 1, "{why}");
    }

    #[test]
    fn a_wat_error_is_one_line_with_its_place() {
        let e = wat::parse_str("(module\n  (fnuc))").unwrap_err();
        let why = wat_error(&e);
        assert_eq!(why.lines().count(), 1, "{why}");
        assert!(why.ends_with(" at line 2, column 4 of the WAT"), "{why}");
    }
}
