//! The reference runtime as a conformance [`Subject`].

use crate::component::{Component, ComponentConfig};
use crate::runtime::Runtime;
use crate::source::ModuleSource;
use lifecycle_conformance::{Capabilities, Counters, ModuleInput, Subject, SubjectComponent};
use lifecycle_contract::{Error, Event, Health, Limits, Profile, State, Warning};
use std::future::Future;
use std::time::Duration;

impl Subject for Runtime {
    type Component = Component;

    fn name(&self) -> String {
        "reference".into()
    }

    fn version(&self) -> String {
        format!("lifecycle-kit {} on wasmtime 48", env!("CARGO_PKG_VERSION"))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            fuel: self.meters_fuel(),
            ..Capabilities::ALL
        }
    }

    fn component(&self, module: ModuleInput, profile: Profile, limits: Limits) -> Component {
        let source = match module {
            ModuleInput::Bytes(bytes) => ModuleSource::Bytes(bytes),
            ModuleInput::File(path) => ModuleSource::File(path),
        };
        Runtime::component(self, source, ComponentConfig { profile, limits })
    }

    async fn counters(&self) -> Counters {
        Counters {
            live_instances: Runtime::live_instances(self),
            accounted_memory_bytes: Runtime::accounted_memory_bytes(self),
            compilations: Some(Runtime::compilations(self)),
        }
    }
}

impl SubjectComponent for Component {
    fn start(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        Component::start(self)
    }

    fn handle_message(
        &mut self,
        message: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, Error>> + Send {
        Component::handle_message(self, message)
    }

    fn health_check(&mut self) -> impl Future<Output = Health> + Send {
        Component::health_check(self)
    }

    fn stop(
        &mut self,
        timeout: Duration,
    ) -> impl Future<Output = Result<Vec<Warning>, Error>> + Send {
        Component::stop(self, timeout)
    }

    fn state(&self) -> State {
        Component::state(self)
    }

    fn take_events(&mut self) -> Vec<Event> {
        Component::take_events(self)
    }
}

/// A fresh reference runtime, as the conformance runner wants one per case.
pub fn reference() -> Result<Runtime, String> {
    Runtime::new().map_err(|e| e.to_string())
}
