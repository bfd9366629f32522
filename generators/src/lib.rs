//! # lifecycle-generators
pub mod artifacts;
pub mod catalogue;
pub mod encode;
pub mod invariants;
pub mod oracle;
pub mod random;
pub mod scenario;
pub mod spec;
pub use spec::{Behaviour, Export, Feature, ImportKind, MemoryExport, ModuleSpec, Slot, Trap};
