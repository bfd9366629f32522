//! What a runtime under test implements to be checked: components that go through the
//! lifecycle, the counters that show what it holds, and what it supports.
//!
//! Invariants the runner relies on, and checks:
//! * a [`Subject`] is fresh for each case, so its counters belong to that case alone;
//! * [`SubjectComponent::take_events`] reports every state change and every guest call
//!   of the operation just finished, in order (they are compared);
//! * [`Subject::counters`] counts what the runtime holds now: while a component is
//!   `ready` it holds at least one instance and at least its linear memory; a component in
//!   any other state holds nothing.

use crate::{Abi, Error, Event, Health, Limits, Profile, State, Warning};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;

/// A module handed to a runtime under test: the contract's one module-input type.
pub use crate::ModuleSource;

/// What a runtime supports beyond the core of the contract. A case that needs a
/// capability the runtime does not declare is reported `unsupported` (or failed, when the
/// run requires it), never run. SPEC.md ("Capabilities") says how a case's needs are
/// derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The `standard` feature profile (bulk memory, reference types, SIMD).
    pub standard_profile: bool,
    /// Fuel metering (`fuel_per_call`, `fuel_exhausted`).
    pub fuel: bool,
    /// Wall-clock timeouts that interrupt a guest (`execution_timeout`).
    pub timeouts: bool,
    /// [`Counters::compilations`] counts the modules the runtime compiled.
    #[serde(default)]
    pub compilations: bool,
    /// Components of the WIT world `actor` (SPEC.md §8), run with [`Abi::Component`].
    #[serde(default)]
    pub components: bool,
    /// Core modules (SPEC.md §3), run with [`Abi::Core`]: every runtime but one that runs
    /// components only.
    #[serde(default = "runs_core_modules")]
    pub core_modules: bool,
}

/// A runtime that does not say otherwise runs core modules.
fn runs_core_modules() -> bool {
    true
}

impl Capabilities {
    pub const ALL: Capabilities = Capabilities {
        standard_profile: true,
        fuel: true,
        timeouts: true,
        compilations: true,
        components: true,
        core_modules: true,
    };

    pub fn has(&self, capability: Capability) -> bool {
        match capability {
            Capability::StandardProfile => self.standard_profile,
            Capability::Fuel => self.fuel,
            Capability::Timeouts => self.timeouts,
            Capability::Compilations => self.compilations,
            Capability::Components => self.components,
            Capability::CoreModules => self.core_modules,
        }
    }
}

identifiers! {
    /// One capability, as cases name it (`needs = ["fuel"]`) and `--require` takes it.
    Capability ("capability") {
        StandardProfile => "standard_profile",
        Fuel => "fuel",
        Timeouts => "timeouts",
        Compilations => "compilations",
        Components => "components",
        CoreModules => "core_modules",
    }
}

/// A runtime under test.
pub trait Subject: Send + Sync + 'static {
    type Component: SubjectComponent;

    /// Name and version, for reports.
    fn name(&self) -> String;
    fn version(&self) -> String;
    fn capabilities(&self) -> Capabilities;

    /// A new component in `creating`, to be run through `abi`; nothing is loaded until
    /// start.
    fn component(
        &self,
        module: ModuleSource,
        abi: Abi,
        profile: Profile,
        limits: Limits,
    ) -> Self::Component;

    /// What the runtime holds now: instances (stores) alive, linear memory accounted to
    /// them in bytes, and, if it declares the capability, the modules it compiled so far.
    fn counters(&self) -> impl Future<Output = Counters> + Send;

    /// Why this runtime can no longer be judged, if it cannot: an out-of-process runtime
    /// that stopped answering or answered outside the protocol. The runner asks after
    /// every operation and fails the case with this message; what the operation returned
    /// meanwhile is not judged. In-process runtimes keep the default.
    fn failure(&self) -> Option<String> {
        None
    }
}

/// What a runtime holds at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
    /// Modules compiled since the runtime was made (`None`: not counted).
    pub compilations: Option<u64>,
}

/// One component of a runtime under test.
pub trait SubjectComponent: Send + 'static {
    fn start(&mut self) -> impl Future<Output = Result<(), Error>> + Send;
    fn handle_message(
        &mut self,
        message: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, Error>> + Send;
    fn health_check(&mut self) -> impl Future<Output = Health> + Send;
    fn stop(
        &mut self,
        timeout: Duration,
    ) -> impl Future<Output = Result<Vec<Warning>, Error>> + Send;
    fn state(&self) -> State;
    /// Events since the last call, oldest first: every transition and every guest call at
    /// least (both are compared).
    fn take_events(&mut self) -> Vec<Event>;
    /// Lets go of the component (in process: drops it). The runner reads the counters
    /// after this has finished.
    fn dispose(self) -> impl Future<Output = ()> + Send
    where
        Self: Sized,
    {
        async move { drop(self) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An adapter written before components declares four capabilities: it runs core
    /// modules and no components.
    #[test]
    fn capabilities_left_out_are_core_modules_and_no_components() {
        let four = serde_json::json!({
            "standard_profile": true, "fuel": true, "timeouts": true, "compilations": false
        });
        let read: Capabilities = serde_json::from_value(four).unwrap();
        assert!(read.has(Capability::CoreModules) && !read.has(Capability::Components));
        let components_only = serde_json::json!({
            "standard_profile": true, "fuel": false, "timeouts": true, "compilations": true,
            "components": true, "core_modules": false
        });
        let read: Capabilities = serde_json::from_value(components_only).unwrap();
        assert!(!read.has(Capability::CoreModules) && read.has(Capability::Components));
    }

    #[test]
    fn a_capability_is_had_only_when_declared() {
        for capability in Capability::ALL {
            let mut declared = Capabilities {
                standard_profile: false,
                fuel: false,
                timeouts: false,
                compilations: false,
                components: false,
                core_modules: false,
            };
            assert!(!declared.has(capability), "{capability}");
            match capability {
                Capability::StandardProfile => declared.standard_profile = true,
                Capability::Fuel => declared.fuel = true,
                Capability::Timeouts => declared.timeouts = true,
                Capability::Compilations => declared.compilations = true,
                Capability::Components => declared.components = true,
                Capability::CoreModules => declared.core_modules = true,
            }
            let others = Capability::ALL.iter().filter(|&&c| c != capability);
            assert!(declared.has(capability), "{capability}");
            assert!(others.clone().all(|&c| !declared.has(c)), "{capability}");
        }
    }
}
