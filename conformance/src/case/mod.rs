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
//! from the oracle, recomputed with the case's profile, limits and steps, unless the case
//! writes one: a `scenario` with an `expect` is a literal case, judged by what is written
//! (the contract's decision tables are pinned that way, in `cases/tables.toml`), while
//! the oracle's derivation is kept beside it ([`CaseModule::derived`]) to be compared.
//!
//! This file is the schema, what a case is once read; the rest of a case's life is in
//! the files beside it: `file.rs` reads one case of a TOML file into a [`Case`],
//! `load.rs` reads and checks whole files and directories, `builtin.rs` puts the shipped
//! cases on disk, and `generated.rs` makes cases that no file holds (fuzzing trials, the
//! extended families). What can be wrong with a file is typed in `error.rs`
//! ([`CaseError`]).
//!
//! Invariants: a [`Case`] has at least one module and one clause; its `needs` hold at
//! least what SPEC.md's rule derives from its expectations (`Case::derived_needs`).

mod agreement;
mod builtin;
mod component;
mod error;
mod file;
mod generated;
mod load;

pub use agreement::{Disagreement, disagreements, literal};
pub use builtin::{builtin_dir, builtin_expectations, copy_builtin_cases};
pub use component::{AbiChoice, COMPONENT_FORM, on_abis};
pub use error::{CaseError, CaseProblem, FileProblem, StepProblem};
pub use generated::{GENERATED, extended, smith_steps};
pub use load::{load_dir, load_file, load_files, toml_files};

use crate::subject::{Capability, ModuleSource};
use lifecycle_contract::{
    Abi, CallOutcome, ErrorKind, HealthReason, Limits, Outcome, Profile, Step, Summary, Warning,
};
use lifecycle_generators::spec::ModuleSpec;
use serde::Deserialize;
use std::collections::BTreeSet;

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
    /// The interface the module is run through: a core module, or a component of the
    /// world `actor` (SPEC.md §8).
    pub abi: Abi,
    /// The generator spec the module was made from, if it was: what its form on the
    /// other ABI is made from ([`Case::on_component`]).
    pub spec: Option<ModuleSpec>,
    pub profile: Profile,
    pub limits: Limits,
    pub expected: Expected,
    /// The linear memory the component has after each step, where the oracle knows it
    /// (the least its counters may show while it is `ready`); else what the module
    /// declares is the least.
    pub memory_after: Option<Vec<u64>>,
    /// For a generator module whose expectation is written in the case (a literal case):
    /// what the oracle derives for it. The run judges by the written expectation alone;
    /// [`disagreements`] holds the two side by side, so that a slip in the code the
    /// oracle shares with a runtime fails twice.
    pub derived: Option<Expected>,
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
    /// profile; `core_modules` for a core module and `components` for a component; `fuel` if any outcome shows fuel running out (an error, a health reason,
    /// a cleanup warning or a guest call); `timeouts` if any shows a timeout. Limits
    /// alone never count: unlimited fuel is no need, and a finite budget that is never
    /// exhausted passes on a runtime without fuel.
    fn derived_needs(&self) -> BTreeSet<Capability> {
        let mut needs = BTreeSet::new();
        for module in &self.modules {
            if module.profile == Profile::Standard {
                needs.insert(Capability::StandardProfile);
            }
            needs.insert(match module.abi {
                Abi::Core => Capability::CoreModules,
                Abi::Component => Capability::Components,
            });
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
