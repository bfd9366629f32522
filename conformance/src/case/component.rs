//! Cases on the component ABI (SPEC.md §8). A case file's case runs on the ABI it is
//! written for; a case of generator modules that all have a component form also runs,
//! as `ID@component`, on their components, with the oracle's expectation for them: one
//! case definition serves both ABIs where the behaviour is the same on both.

use super::generated::predicted;
use super::{Case, CaseModule};
use lifecycle_contract::{Abi, Step};
use lifecycle_generators::canonical;
use lifecycle_generators::oracle::Modelled;

/// What the id of a case's component form adds to the case's id.
pub const COMPONENT_FORM: &str = "@component";

lifecycle_contract::identifiers! {
    /// Which ABIs a run takes (`run --abi`).
    #[derive(Default)]
    AbiChoice ("ABI choice") {
        /// Core-module cases only.
        Core => "core",
        /// Component cases, and the component form of every core case that has one.
        Component => "component",
        /// Both.
        #[default]
        All => "all",
    }
}

/// The cases a run on `choice` takes from `cases`, in order (each case's component form
/// right after it), and how many core cases have no component form.
pub fn on_abis(cases: Vec<Case>, choice: AbiChoice) -> (Vec<Case>, usize) {
    let mut out = Vec::new();
    let mut without = 0;
    for case in cases {
        let written_for = case.abi();
        let form = match (choice, written_for) {
            (AbiChoice::Core, Abi::Component) => continue,
            (AbiChoice::Core, Abi::Core) | (_, Abi::Component) => {
                out.push(case);
                continue;
            }
            (AbiChoice::Component | AbiChoice::All, Abi::Core) => case.on_component(),
        };
        if choice == AbiChoice::All {
            out.push(case);
        }
        match form {
            Ok(form) => out.push(form),
            Err(why) => {
                tracing::debug!(%why, "no component form");
                without += 1;
            }
        }
    }
    (out, without)
}

impl Case {
    /// The ABI the case is run through: its first module's (an `alongside` module may
    /// be of the other, which then needs its capability too).
    pub fn abi(&self) -> Abi {
        self.modules.first().map_or(Abi::Core, |m| m.abi)
    }

    /// The case on the component ABI: the component of each module's spec, the same
    /// steps, and the oracle's expectation for the components; or why there is none (a
    /// module that is not a generator's, a spec with no component form, an outcome
    /// the oracle does not model on components).
    pub fn on_component(&self) -> Result<Case, String> {
        let modules = self
            .modules
            .iter()
            .map(|m| component_of(m, &self.steps))
            .collect::<Result<Vec<_>, _>>()?;
        let mut case = Case {
            id: format!("{}{COMPONENT_FORM}", self.id),
            modules,
            ..self.clone()
        };
        // Its own derived needs, and what the core case declared beyond its own.
        let derived_for_core = self.derived_needs();
        let declared = self.needs.difference(&derived_for_core).copied();
        case.needs = case.derived_needs().into_iter().chain(declared).collect();
        Ok(case)
    }
}

fn component_of(module: &CaseModule, steps: &[Step]) -> Result<CaseModule, String> {
    let spec = module
        .spec
        .as_ref()
        .ok_or("a module that is not a generator spec's")?;
    let bytes = canonical::component(spec).map_err(|e| e.to_string())?;
    let modelled = Modelled::Component(spec);
    let prediction =
        predicted(modelled, module.profile, &module.limits, steps).map_err(|e| e.to_string())?;
    Ok(CaseModule::predicted(
        bytes,
        (Abi::Component, Some(spec.clone())),
        module.profile,
        module.limits.clone(),
        prediction,
    ))
}
