//! Per-component limits (CONTRACT §4): their defaults and the one rule for each.
//!
//! The runtime enforces these at two points (before instantiation, from what the module
//! declares, and in the resource limiter installed on every store), and both ask the
//! `admits_*` methods here.

use std::time::Duration;

/// A WebAssembly page.
pub const WASM_PAGE_BYTES: u64 = 65_536;
/// Instances, memories and tables a component may have (CONTRACT §4).
pub const MAX_INSTANCES: usize = 1;
pub const MAX_MEMORIES: usize = 1;
pub const MAX_TABLES: usize = 1;
/// Default wall clock for `_cleanup` when the caller has no preference.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Default guest stack. This one is per runtime: Wasmtime sets it per engine.
pub const DEFAULT_MAX_WASM_STACK: usize = 512 * 1024;

/// The limits of one component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_memory_bytes: u64,
    pub max_table_elements: u64,
    /// Fuel given to every guest call, refilled before each one.
    pub fuel_per_call: u64,
    /// Wall clock for instantiate (including the wasm `start` section) plus `_start`.
    pub start_timeout: Duration,
    /// Wall clock for one message: `alloc` plus `handle-message`.
    pub call_timeout: Duration,
    pub health_timeout: Duration,
    pub max_message_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory_bytes: 64 * 1024 * 1024,
            max_table_elements: 10_000,
            fuel_per_call: 100_000_000,
            start_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(1),
            health_timeout: Duration::from_secs(1),
            max_message_bytes: 1024 * 1024,
        }
    }
}

impl Limits {
    /// May a linear memory be `bytes` long?
    pub fn admits_memory(&self, bytes: u64) -> bool {
        bytes <= self.max_memory_bytes
    }

    /// May a table hold `elements` elements?
    pub fn admits_table(&self, elements: u64) -> bool {
        elements <= self.max_table_elements
    }

    /// May a message or a reply be `len` bytes long?
    pub fn admits_message(&self, len: u64) -> bool {
        len <= self.max_message_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_contracts() {
        let l = Limits::default();
        assert_eq!(l.max_memory_bytes, 64 << 20);
        assert_eq!(l.max_table_elements, 10_000);
        assert_eq!(l.fuel_per_call, 100_000_000);
        assert_eq!(l.start_timeout, Duration::from_secs(5));
        assert_eq!(l.call_timeout, Duration::from_secs(1));
        assert_eq!(l.health_timeout, Duration::from_secs(1));
        assert_eq!(l.max_message_bytes, 1 << 20);
        assert_eq!(DEFAULT_STOP_TIMEOUT, Duration::from_secs(5));
        assert_eq!(DEFAULT_MAX_WASM_STACK, 512 << 10);
    }

    #[test]
    fn limits_are_inclusive() {
        let l = Limits::default();
        assert!(l.admits_memory(64 << 20));
        assert!(!l.admits_memory((64 << 20) + 1));
        assert!(l.admits_table(10_000));
        assert!(!l.admits_table(10_001));
        assert!(l.admits_message(1 << 20));
        assert!(!l.admits_message((1 << 20) + 1));
    }
}
