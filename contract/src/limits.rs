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
/// `fuel_per_call` that never runs out. In JSON it is the string `"unlimited"`: the
/// number 2^64 - 1 is not exact as a JSON double.
pub const UNLIMITED_FUEL: u64 = u64::MAX;
/// The word for [`UNLIMITED_FUEL`] in JSON and TOML.
pub const UNLIMITED: &str = "unlimited";
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
    /// The limits as JSON, durations in milliseconds and unlimited fuel as
    /// `"unlimited"`: the form used in expectation files and by the adapter protocol.
    pub fn to_json(&self) -> serde_json::Value {
        let fuel = match self.fuel_per_call {
            UNLIMITED_FUEL => serde_json::json!(UNLIMITED),
            n => serde_json::json!(n),
        };
        serde_json::json!({
            "max_memory_bytes": self.max_memory_bytes,
            "max_table_elements": self.max_table_elements,
            "fuel_per_call": fuel,
            "start_timeout_ms": self.start_timeout.as_millis() as u64,
            "call_timeout_ms": self.call_timeout.as_millis() as u64,
            "health_timeout_ms": self.health_timeout.as_millis() as u64,
            "max_message_bytes": self.max_message_bytes,
        })
    }

    /// The limits from [`Limits::to_json`]'s form; every key is required.
    pub fn from_json(v: &serde_json::Value) -> Result<Limits, String> {
        let n = |key: &str| {
            v.get(key)
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| format!("limits: `{key}` missing or not a number"))
        };
        let ms = |key: &str| n(key).map(Duration::from_millis);
        let fuel = match v.get("fuel_per_call") {
            Some(serde_json::Value::String(word)) if word == UNLIMITED => UNLIMITED_FUEL,
            _ => n("fuel_per_call")?,
        };
        Ok(Limits {
            max_memory_bytes: n("max_memory_bytes")?,
            max_table_elements: n("max_table_elements")?,
            fuel_per_call: fuel,
            start_timeout: ms("start_timeout_ms")?,
            call_timeout: ms("call_timeout_ms")?,
            health_timeout: ms("health_timeout_ms")?,
            max_message_bytes: n("max_message_bytes")?,
        })
    }

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
    fn json_round_trips() {
        let l = Limits {
            fuel_per_call: u64::MAX,
            call_timeout: Duration::from_millis(7),
            ..Limits::default()
        };
        assert_eq!(l.to_json()["fuel_per_call"], "unlimited");
        assert_eq!(Limits::from_json(&l.to_json()), Ok(l));
        let finite = Limits::default();
        assert_eq!(finite.to_json()["fuel_per_call"], 100_000_000);
        assert_eq!(Limits::from_json(&finite.to_json()), Ok(finite));
        assert!(Limits::from_json(&serde_json::json!({"fuel_per_call": 1})).is_err());
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
