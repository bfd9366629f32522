//! What a runtime under test implements to be checked: components that go through the
//! lifecycle, the counters that show what it holds, and what it supports.

use lifecycle_contract::{Error, Event, Health, Limits, Profile, State, Warning};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A module handed to a runtime under test.
#[derive(Clone, Debug)]
pub enum ModuleInput {
    Bytes(Arc<[u8]>),
    /// A path the runtime loads itself (so that a missing file is its `component_not_found`).
    File(PathBuf),
}

/// What a runtime supports beyond the core of the contract. Cases that need an
/// undeclared capability are reported `unsupported`, not failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// The `standard` feature profile (bulk memory, reference types, SIMD).
    pub standard_profile: bool,
    /// Fuel metering (`fuel_per_call`, `fuel_exhausted`).
    pub fuel: bool,
    /// Wall-clock timeouts that interrupt a guest (`execution_timeout`).
    pub timeouts: bool,
}

impl Capabilities {
    pub const ALL: Capabilities = Capabilities {
        standard_profile: true,
        fuel: true,
        timeouts: true,
    };

    pub fn has(&self, capability: Capability) -> bool {
        match capability {
            Capability::StandardProfile => self.standard_profile,
            Capability::Fuel => self.fuel,
            Capability::Timeouts => self.timeouts,
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    StandardProfile,
    Fuel,
    Timeouts,
}

/// A runtime under test.
pub trait Subject: Send + Sync + 'static {
    type Component: SubjectComponent;

    /// Name and version, for reports.
    fn name(&self) -> String;
    fn version(&self) -> String;
    fn capabilities(&self) -> Capabilities;

    /// A new component in `creating`; nothing is loaded until start.
    fn component(&self, module: ModuleInput, profile: Profile, limits: Limits) -> Self::Component;

    /// What the runtime holds now: instances (stores) alive, and linear memory accounted
    /// to them in bytes.
    fn counters(&self) -> impl Future<Output = Counters> + Send;
}

/// What a runtime holds at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
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
    /// Events since the last call, oldest first (transitions at least).
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
