//! # lifecycle-generators
//!
//! Modules with every lifecycle behaviour and misbehaviour, each with the outcome the
//! lifecycle contract requires of any runtime that runs it.
//!
//! * [`ModuleSpec`] says what a module is: a [`Behaviour`] for each lifecycle export
//!   (`_start`, `_cleanup`, `_health`, `handle-message`, `alloc`), or an export that is
//!   wrong on purpose, plus memory, tables, imports, segments, the wasm `start` section
//!   and [`Feature`]s. [`encode`](encode::encode) turns it into bytes with wasm-encoder.
//! * [`oracle`] derives, from the spec alone and with no runtime, the outcome the
//!   contract requires: final state, transitions, each operation's result, warnings.
//! * [`Scenario`](scenario::Scenario) puts a module together with its limits, profile
//!   and script; [`catalogue`] names 200 of them by contract clause; [`random`] draws
//!   seeded ones and wasm-smith modules; [`invariants`] checks runs with no exact
//!   expectation.
//!
//! ## Composing a misbehaviour
//!
//! An actor that echoes its first two messages, overflows on the third, and whose
//! `_cleanup` would loop forever, in a few lines:
//!
//! ```
//! use lifecycle_contract::{ErrorKind, Outcome, State};
//! use lifecycle_generators::scenario::Scenario;
//! use lifecycle_generators::{Behaviour, ModuleSpec, Trap};
//!
//! let spec = ModuleSpec::actor(Behaviour::OnCall {
//!     nth: 3,
//!     then: Box::new(Behaviour::Trap(Trap::IntegerOverflow)),
//!     otherwise: Box::new(Behaviour::Echo),
//! })
//! .cleanup(Behaviour::Spin);
//! let scenario = Scenario::new("third-message-overflows", "§3 message ABI", "overflows on the third message", spec)
//!     .send("a").send("b").send("c").send("d")
//!     .limits(|l| l.fuel_per_call = 10_000_000);
//!
//! // The oracle's verdict: the third message fails the component, the fourth is refused,
//! // and the looping `_cleanup` never runs because a failed component is not cleaned up.
//! let expected = scenario.expected().unwrap();
//! let kinds: Vec<_> = expected.outcomes().map(|o| o.error().map(|e| e.kind())).collect();
//! assert_eq!(kinds, [None, None, None, Some(ErrorKind::Trapped), Some(ErrorKind::InvalidState), None]);
//! assert_eq!(expected.final_state, State::Terminated);
//! assert!(matches!(&expected.ops[5].outcome, Outcome::Stop(Ok(warnings)) if warnings.is_empty()));
//! // Which exports ran, in order: the fourth message entered nothing.
//! assert!(expected.ops[4].calls.is_empty());
//!
//! // The bytes are a valid module; `artifacts::write` puts .wasm, .wat and .json on disk.
//! let bytes = scenario.bytes();
//! wasmparser::Validator::new().validate_all(&bytes).unwrap();
//! ```
//!
//! A behaviour whose outcome would depend on timing or on an engine's exact fuel count
//! (a loop with both a finite fuel budget and a short timeout, say) is refused by the
//! oracle with [`oracle::Ambiguous`] rather than guessed.

pub mod artifacts;
pub mod canonical;
mod canonical_abi;
pub mod catalogue;
pub mod encode;
pub mod fuzz;
pub mod invariants;
pub mod oracle;
pub mod random;
pub mod scenario;
pub mod spec;

pub use spec::{Behaviour, Entry, Export, Feature, ImportKind, MemoryExport, ModuleSpec, Trap};

/// The scenario called `name`: a catalogue name, or `random-SEED` for the seeded family.
pub fn find(name: &str) -> Option<scenario::Scenario> {
    if let Some(seed) = name.strip_prefix("random-").and_then(|s| s.parse().ok()) {
        return Some(random::scenario(seed));
    }
    catalogue::catalogue().into_iter().find(|s| s.name == name)
}
