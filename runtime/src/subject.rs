//! Every runtime of this crate as a conformance [`Subject`]: one implementation for the
//! lifecycle on any engine.

use crate::engine::Engine;
use crate::lifecycle::{Component, ComponentConfig, Runtime};
use crate::source::ModuleSource;
use lifecycle_contract::{Abi, Error, Event, Health, Limits, Profile, State, Warning};
use lifecycle_contract::{Capabilities, Counters, Subject, SubjectComponent};
use std::future::Future;
use std::time::Duration;

impl<E: Engine> Subject for Runtime<E> {
    type Component = Component<E>;

    fn name(&self) -> String {
        E::NAME.into()
    }

    fn version(&self) -> String {
        format!(
            "lifecycle-kit {} on {}",
            env!("CARGO_PKG_VERSION"),
            E::VERSION
        )
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            fuel: self.engine().meters_fuel(),
            components: self.engine().runs_components(),
            ..Capabilities::ALL
        }
    }

    fn component(
        &self,
        module: ModuleSource,
        abi: Abi,
        profile: Profile,
        limits: Limits,
    ) -> Component<E> {
        let config = ComponentConfig {
            abi,
            profile,
            limits,
        };
        Runtime::component(self, module, config)
    }

    async fn counters(&self) -> Counters {
        Runtime::counters(self)
    }
}

impl<E: Engine> SubjectComponent for Component<E> {
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
