//! What can be wrong with a case file (or an expectations file), as types: the file, then
//! the case and the key in it, then what is wrong with that key.
//!
//! Invariant: every message is one line, and names the file, then the case (by id) and
//! the key (`key `steps`, step 2: ...`) as far as they are known: the words a person
//! needs to find the mistake without reading the loader.

use lifecycle_contract::limits::LimitError;
use lifecycle_generators::oracle::Ambiguous;
use std::path::PathBuf;

/// A case file that cannot be used, named with what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("cannot read {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}: {problem}", path.display())]
    Invalid { path: PathBuf, problem: FileProblem },
    #[error("no case checks {}: every SPEC.md clause needs at least one", clauses.join(", "))]
    Uncovered { clauses: Vec<String> },
}

/// What is wrong inside one case file or expectations file.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    /// Not TOML, or not the file's shape: the TOML error on one line (see
    /// [`crate::one_line::toml_error`]), after the case it falls in where the file parses
    /// far enough to tell.
    #[error("{}{at}", in_case(case))]
    Toml { case: Option<String>, at: String },
    #[error("case id `{id}` is not kebab-case")]
    NotKebab { id: String },
    #[error("case `{id}` is also defined in {}", other.display())]
    Duplicate { id: String, other: PathBuf },
    #[error("case `{id}`: {problem}")]
    Case { id: String, problem: CaseProblem },
    /// An expectations file's entry (named `entry N`, or by its case or signature in
    /// backticks) without a reason.
    #[error("xfail {entry}: key `reason` is empty")]
    XfailWithoutReason { entry: String },
    #[error("xfail {entry} listed twice")]
    XfailTwice { entry: String },
    #[error("xfail {entry}: needs exactly one of `case` and `signature` (not empty)")]
    XfailCaseOrSignature { entry: String },
}

fn in_case(case: &Option<String>) -> String {
    case.as_ref()
        .map_or(String::new(), |id| format!("case `{id}`: "))
}

/// What is wrong with one case of a file, by its key.
#[derive(Debug, thiserror::Error)]
pub enum CaseProblem {
    #[error("key `clauses` is empty")]
    NoClauses,
    #[error("key `clauses`: `{0}` is not a clause of SPEC.md")]
    UnknownClause(String),
    #[error("needs exactly one of `scenario`, `seed`, `wat`, `file`")]
    ModuleSources,
    /// `key` is `scenario` or `alongside`.
    #[error("key `{key}`: no generator scenario named `{name}` (see `lifecycle-kit gen --list`)")]
    NoScenario { key: &'static str, name: String },
    #[error("key `profile`: {0}")]
    Profile(String),
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// `index` is 1-based.
    #[error("key `steps`, step {index}: {problem}")]
    Step { index: usize, problem: StepProblem },
    /// The WAT error on one line (see [`crate::one_line::wat_error`]).
    #[error("key `wat`: {0}")]
    Wat(String),
    #[error("key `componentize`: needs a `wat` core module and `abi = \"component\"`")]
    ComponentizeWhat,
    /// wit-component's words.
    #[error("key `componentize`: the `wat` module is no component of the kit's world: {0}")]
    Componentize(String),
    #[error(
        "key `invariants`: generator modules have an expectation (the oracle's, or a written `expect`)"
    )]
    InvariantsOfGenerated,
    #[error(
        "key `expect`: a written expectation is for `scenario`, `wat` and `file` modules, not `seed`"
    )]
    ExpectationOfSeed,
    #[error(
        "key `expect`: `wat` and `file` modules need a written expectation (or `invariants = true`)"
    )]
    NoExpectation,
    #[error("keys `expect` and `invariants`: one or the other")]
    ExpectAndInvariants,
    #[error("key `expect.memory_after`: {values} values for {steps} steps")]
    MemoryAfter { values: usize, steps: usize },
    /// `key` is `expect.final_state` or `expect.transitions`.
    #[error("key `{key}`: unknown state `{name}`")]
    UnknownState { key: &'static str, name: String },
    /// `index` is 1-based.
    #[error("key `expect.ops`, op {index}: {message}")]
    Op { index: usize, message: String },
    /// The oracle cannot give one expectation for the case.
    #[error(transparent)]
    Oracle(#[from] Ambiguous),
    #[error(
        "key `file`: {} is not a readable file (a case about a missing module expects `component_not_found`)",
        .0.display()
    )]
    NoFile(PathBuf),
}

/// A step of `steps` that is none the runner knows.
#[derive(Debug, thiserror::Error)]
pub enum StepProblem {
    #[error(
        "unknown step `{0}` (expected start, health, stop, {{ send = \"..\" }} or {{ stop_ms = N }})"
    )]
    UnknownWord(String),
    #[error("unknown step key `{0}` (expected `send` = text or `stop_ms` = milliseconds)")]
    UnknownKey(String),
    #[error("unknown step `{0}`")]
    Unknown(toml::Value),
}
