//! The named catalogue: every behaviour and misbehaviour, each with a stable kebab-case
//! name, the contract clause it checks, a one-line description and (from the oracle) the
//! outcome the contract requires.

mod binaries;
mod components;
mod edges;
mod lifecycle;
mod messages;
mod start;

pub use binaries::{base_module, section_name, sections};

use crate::scenario::Scenario;
use std::time::Duration;

/// The SPEC.md sections scenarios are grouped by.
pub mod clause {
    pub const STATES: &str = "§1 states and transitions";
    pub const VALIDATE: &str = "§2 validate: magic, version, well-formedness";
    pub const FEATURES: &str = "§2 validate: feature profiles (§6)";
    pub const EXPORTS: &str = "§2 exports";
    pub const LINK: &str = "§2 link";
    pub const INSTANTIATE: &str = "§2 instantiate";
    pub const START: &str = "§2 _start";
    pub const MESSAGES: &str = "§3 message ABI";
    pub const HEALTH: &str = "§3 health";
    pub const LIMITS: &str = "§4 limits";
    pub const STOP: &str = "§5 stop";
    pub const COMPONENTS: &str = "§8 components";
}

/// Limits under which a spinning guest surely runs out of fuel first.
pub(crate) const SPIN_FUEL: u64 = 10_000_000;
/// A wall clock short enough to keep runs quick, for spins with unlimited fuel.
pub(crate) const SPIN_TIMEOUT: Duration = Duration::from_millis(100);

/// Every named scenario, grouped by clause, in a stable order.
pub fn catalogue() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(binaries::scenarios());
    all.extend(start::scenarios());
    all.extend(messages::scenarios());
    all.extend(lifecycle::scenarios());
    all.extend(edges::scenarios());
    all.extend(components::scenarios());
    all
}
