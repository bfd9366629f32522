//! The guest interfaces a runtime may run its actors through (SPEC.md §3 and §8).

identifiers! {
    /// How the host talks to a guest: a core module with the contract's exports and its
    /// pointer/length message ABI (§3), or a Component Model component implementing the
    /// WIT world `actor` of `conformance/wit/lifecycle.wit` (§8).
    #[derive(Default)]
    Abi ("abi") {
        /// A core module exporting `_start`, `alloc`, `handle-message`, `_health`,
        /// `_cleanup` and `memory`.
        #[default]
        Core => "core",
        /// A component exporting the interface `lifecycle-kit:actor/lifecycle@0.1.0`.
        Component => "component",
    }
}

/// The WIT package of the component ABI, as the kit ships it.
pub const WIT: &str = include_str!("../wit/lifecycle.wit");

/// The interface a component exports, as its export is named.
pub const LIFECYCLE_INTERFACE: &str = "lifecycle-kit:actor/lifecycle@0.1.0";

/// The world a component implements.
pub const WORLD: &str = "actor";

identifiers! {
    /// The case of `component-error` a component's `initialize` or `shutdown` refused
    /// with (its text is for people and is never compared).
    Refusal ("refusal") {
        InitializationFailed => "initialization-failed",
        ConfigurationInvalid => "configuration-invalid",
        ResourceExhausted => "resource-exhausted",
        InternalError => "internal-error",
    }
}
