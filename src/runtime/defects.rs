//! Defects that can be injected into the reference runtime, to prove the conformance
//! suite catches them. Only with the `defects` feature; never in a default build.

/// One injected defect, as shipped by real actor runtimes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "defects"), allow(dead_code))]
pub enum Defect {
    /// stop() never calls `_cleanup`.
    SkipCleanup,
    /// Fuel is set when the store is made and never refilled.
    FuelSetOnce,
    /// stop() forgets the store instead of dropping it.
    LeakStoreOnStop,
}
