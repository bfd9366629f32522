//! # lifecycle-contract
//!
//! The vocabulary of the WebAssembly component lifecycle contract, shared by the
//! reference runtime, the module generators and their oracle, and any runtime under test:
//! states and the one transition table, the one error taxonomy, the health mapping, the
//! limits with their defaults, the feature profiles, events, the shape of a trace, and
//! what every runtime under the contract offers ([`Subject`]: the runtime implements it,
//! the conformance suite judges it, neither depends on the other). It knows nothing of
//! any engine.

#[macro_use]
mod ident;

pub mod abi;
pub mod error;
pub mod events;
pub mod exports;
pub mod health;
pub mod limits;
pub mod message;
pub mod outcome;
pub mod profile;
pub mod source;
pub mod state;
pub mod subject;

pub use abi::Abi;
pub use error::{Error, ErrorKind, Fault, GuestFailure, Resource, Stage, TrapCode, Warning};
pub use events::{CallOutcome, Event, GuestCall};
pub use exports::Entry;
pub use health::{Health, HealthReason, HealthStatus};
pub use ident::UnknownIdentifier;
pub use limits::Limits;
pub use outcome::{Operation, Outcome, Script, ShapeError, Step, Summary};
pub use profile::Profile;
pub use source::ModuleSource;
pub use state::State;
pub use subject::{Capabilities, Capability, Counters, Subject, SubjectComponent};
