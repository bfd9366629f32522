//! Per-component limits (SPEC.md §4, LC-LIMIT-*): each declared once, with its default and its rule.
//!
//! The one declaration is the `define_limits!` list at the foot of this module: for
//! each limit its doc, field, type, [`Unit`], default, key and `trace` flag. From it come
//! the [`Limits`] struct and its `Default`; the JSON form of expectation files and of the
//! adapter protocol ([`Limits::to_json`], [`Limits::from_json`]); the form a case file's
//! `limits` table takes ([`LimitsToml`]); the flags of `lifecycle-kit trace`
//! (`LimitFlags`, with the `clap` feature); and those flags for a given set of limits
//! ([`Limits::flags_differing_from`], the generators' replay commands). Adding a limit is
//! one entry there plus its rule (an `admits_*` method, and the runtime asking it), and
//! its key in ADAPTER.md's example of `limits` (a test reads it with
//! [`Limits::from_json`]).
//!
//! Invariants:
//! - One key names a limit in JSON and in TOML, with one unit: counts are numbers,
//!   durations are whole milliseconds under a key ending `_ms`, fuel is a number or
//!   `"unlimited"`. A flag takes the same unit; it is named after the key with dashes,
//!   but for `--max-memory` and `--fuel`, older than the keys (the Python adapter relies
//!   on this rule).
//! - JSON has every key, and a reader ignores keys it does not know; a case file may
//!   leave any out and may not name one that is not here (the error names the key).
//! - A runtime enforces limits at two points (before instantiation, from what the module
//!   declares, and in the resource limiter installed on every store), and both ask the
//!   `admits_*` methods here.
//! - Limits alone never make a capability need (SPEC.md, "Capabilities"): a case's
//!   needs come from its expected outcomes, in one place (`Case::derived_needs` in the
//!   conformance crate).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// A WebAssembly page.
pub const WASM_PAGE_BYTES: u64 = 65_536;
/// Instances, memories and tables a component may have (SPEC LC-INST-1).
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

/// How one kind of limit is written: in JSON and TOML (one form, through serde), and as
/// a `trace` flag's value (by default the written number).
pub trait Unit {
    /// The value a runtime enforces.
    type Value: Clone + PartialEq;
    /// The value as JSON and TOML write it.
    type Written: DeserializeOwned + Clone + From<u64> + Into<serde_json::Value>;
    /// Durations: the generators' replay commands put them after the other limits.
    const DURATION: bool = false;
    fn write(value: &Self::Value) -> Self::Written;
    /// The value, or why the written one is none (the caller adds the key).
    fn read(written: Self::Written) -> Result<Self::Value, BadValue>;
    /// A flag's value: what [`Unit::parse`] reads back.
    fn show(value: &Self::Value) -> String {
        Self::write(value).into().to_string()
    }
    fn parse(text: &str) -> Result<Self::Value, BadValue> {
        let n: u64 = text
            .parse()
            .map_err(|e: std::num::ParseIntError| BadValue::NotANumber(e.to_string()))?;
        Self::read(n.into())
    }
}

/// A count (bytes, elements): a number everywhere.
pub enum Count {}

impl Unit for Count {
    type Value = u64;
    type Written = u64;
    fn write(value: &u64) -> u64 {
        *value
    }
    fn read(written: u64) -> Result<u64, BadValue> {
        Ok(written)
    }
}

/// A wall clock: whole milliseconds everywhere (the key and the flag end in `_ms`/`-ms`).
pub enum Millis {}

impl Unit for Millis {
    type Value = Duration;
    type Written = u64;
    const DURATION: bool = true;
    fn write(value: &Duration) -> u64 {
        value.as_millis() as u64
    }
    fn read(written: u64) -> Result<Duration, BadValue> {
        Ok(Duration::from_millis(written))
    }
}

/// A fuel budget: a number, or [`UNLIMITED`] for [`UNLIMITED_FUEL`]. A flag shows the
/// number and takes either.
pub enum Fuel {}

/// `fuel_per_call` as JSON and TOML write it. (serde names this type in a case file's
/// error when the value is neither a number nor a string.)
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum FuelToml {
    Budget(u64),
    Word(String),
}

impl From<u64> for FuelToml {
    fn from(n: u64) -> Self {
        FuelToml::Budget(n)
    }
}

impl From<FuelToml> for serde_json::Value {
    fn from(fuel: FuelToml) -> Self {
        match fuel {
            FuelToml::Budget(n) => n.into(),
            FuelToml::Word(word) => word.into(),
        }
    }
}

impl Unit for Fuel {
    type Value = u64;
    type Written = FuelToml;
    fn write(value: &u64) -> FuelToml {
        match *value {
            UNLIMITED_FUEL => FuelToml::Word(UNLIMITED.into()),
            n => FuelToml::Budget(n),
        }
    }
    fn read(written: FuelToml) -> Result<u64, BadValue> {
        match written {
            FuelToml::Budget(n) => Ok(n),
            FuelToml::Word(w) if w == UNLIMITED => Ok(UNLIMITED_FUEL),
            FuelToml::Word(w) => Err(BadValue::NotFuel(w)),
        }
    }
    fn show(value: &u64) -> String {
        value.to_string()
    }
    fn parse(text: &str) -> Result<u64, BadValue> {
        match text {
            UNLIMITED => Ok(UNLIMITED_FUEL),
            n => n.parse().map_err(|_| BadValue::NotFuelFlag(n.to_string())),
        }
    }
}

/// A limit's value on the command line, in its unit: `Display` and `FromStr` are
/// [`Unit::show`] and [`Unit::parse`].
pub struct Flag<U: Unit>(pub U::Value);

impl<U: Unit> Clone for Flag<U> {
    fn clone(&self) -> Self {
        Flag(self.0.clone())
    }
}

impl<U: Unit> std::fmt::Display for Flag<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&U::show(&self.0))
    }
}

impl<U: Unit> std::str::FromStr for Flag<U> {
    type Err = BadValue;
    fn from_str(text: &str) -> Result<Self, BadValue> {
        U::parse(text).map(Flag)
    }
}

/// One declared limit, as the forms name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitName {
    /// The JSON and TOML key.
    pub key: &'static str,
    /// The `trace` flag, without the leading `--`.
    pub flag: &'static str,
    /// From [`Unit::DURATION`].
    pub duration: bool,
}

/// One `trace` flag that sets a limit, with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagValue {
    pub name: LimitName,
    pub value: String,
}

/// A limit's value that its unit does not take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadValue {
    /// Not a whole number: the parser's words.
    #[error("{0}")]
    NotANumber(String),
    /// A fuel budget written as a word other than [`UNLIMITED`] (JSON or TOML).
    #[error("`{0}` is neither a number nor \"unlimited\"")]
    NotFuel(String),
    /// A fuel flag's value that is neither a number nor [`UNLIMITED`].
    #[error("`{0}` is neither a number nor `unlimited`")]
    NotFuelFlag(String),
}

/// A case file's limit whose value its unit does not take.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("key `limits.{key}`: {why}")]
pub struct LimitError {
    pub key: &'static str,
    pub why: BadValue,
}

/// A limit the JSON form leaves out, or writes in a form its unit does not take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("limits: `{key}` missing or not a number")]
pub struct LimitJsonError {
    pub key: &'static str,
}

/// A limit from JSON, or the error naming its key.
fn read_json<U: Unit>(
    v: &serde_json::Value,
    key: &'static str,
) -> Result<U::Value, LimitJsonError> {
    v.get(key)
        .and_then(|written| U::Written::deserialize(written).ok())
        .and_then(|written| U::read(written).ok())
        .ok_or(LimitJsonError { key })
}

/// Declares the limits: see the module documentation for what each entry produces.
///
/// ```text
/// /// The doc: the field's, and the flag's help (one paragraph).
/// field: Type as Unit = default, key "json_and_toml_key", flag "flag-name" "VALUE_NAME";
/// ```
macro_rules! define_limits {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $ty:ty as $unit:ident = $default:expr,
            key $key:literal, flag $flag:literal $value_name:literal;
    )+) => {
        /// The limits of one component.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Limits {
            $($(#[doc = $doc])* pub $field: $ty,)+
        }

        impl Default for Limits {
            fn default() -> Self {
                Limits { $($field: $default,)+ }
            }
        }

        impl Limits {
            /// Every limit's key and flag, in the declaration's order.
            pub const NAMES: &'static [LimitName] = &[
                $(LimitName { key: $key, flag: $flag, duration: <$unit as Unit>::DURATION },)+
            ];

            /// The limits as JSON, durations in milliseconds and unlimited fuel as
            /// `"unlimited"`: the form used in expectation files and by the adapter
            /// protocol.
            pub fn to_json(&self) -> serde_json::Value {
                let mut map = serde_json::Map::new();
                $(map.insert($key.into(), <$unit as Unit>::write(&self.$field).into());)+
                serde_json::Value::Object(map)
            }

            /// The limits from [`Limits::to_json`]'s form; every key is required.
            pub fn from_json(v: &serde_json::Value) -> Result<Limits, LimitJsonError> {
                Ok(Limits { $($field: read_json::<$unit>(v, $key)?,)+ })
            }

            /// The `trace` flags that set what differs from `base`, in the
            /// declaration's order.
            pub fn flags_differing_from(&self, base: &Limits) -> Vec<FlagValue> {
                let shown = [$(
                    (self.$field != base.$field).then(|| <$unit as Unit>::show(&self.$field)),
                )+];
                let named = Self::NAMES.iter().zip(shown);
                named
                    .filter_map(|(name, value)| Some(FlagValue { name: *name, value: value? }))
                    .collect()
            }
        }

        /// A case file's `limits` table: the JSON form, but any key may be left out
        /// (the scenario's, or the default, stays) and an unknown key is an error.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct LimitsToml {
            $(#[serde(rename = $key)] pub $field: Option<<$unit as Unit>::Written>,)+
        }

        impl LimitsToml {
            /// Sets each limit the table names.
            pub fn apply(&self, limits: &mut Limits) -> Result<(), LimitError> {
                $(if let Some(written) = &self.$field {
                    limits.$field = <$unit as Unit>::read(written.clone())
                        .map_err(|why| LimitError { key: $key, why })?;
                })+
                Ok(())
            }
        }

        /// The limits as `lifecycle-kit trace` takes them, one flag each, defaulting
        /// to [`Limits::default`].
        #[cfg(feature = "clap")]
        #[derive(Clone, clap::Args)]
        pub struct LimitFlags {
            $(
                $(#[doc = $doc])*
                #[arg(
                    long = $flag,
                    value_name = $value_name,
                    default_value_t = Flag(Limits::default().$field),
                )]
                pub $field: Flag<$unit>,
            )+
        }

        #[cfg(feature = "clap")]
        impl LimitFlags {
            pub fn limits(&self) -> Limits {
                Limits { $($field: self.$field.0.clone(),)+ }
            }
        }
    };
}

define_limits! {
    /// Largest linear memory, in bytes.
    max_memory_bytes: u64 as Count = 64 * 1024 * 1024,
        key "max_memory_bytes", flag "max-memory" "BYTES";
    /// Largest table, in elements.
    max_table_elements: u64 as Count = 10_000,
        key "max_table_elements", flag "max-table-elements" "N";
    /// Fuel for each guest call, refilled before every call (or `unlimited`).
    fuel_per_call: u64 as Fuel = 100_000_000,
        key "fuel_per_call", flag "fuel" "N";
    // Instantiation includes the wasm `start` section.
    /// Wall clock for instantiate + `_start`.
    start_timeout: Duration as Millis = Duration::from_secs(5),
        key "start_timeout_ms", flag "start-timeout-ms" "N";
    /// Wall clock for one message (`alloc` + `handle-message`).
    call_timeout: Duration as Millis = Duration::from_secs(1),
        key "call_timeout_ms", flag "call-timeout-ms" "N";
    /// Wall clock for `_health`.
    health_timeout: Duration as Millis = Duration::from_secs(1),
        key "health_timeout_ms", flag "health-timeout-ms" "N";
    /// Largest message and reply, in bytes.
    max_message_bytes: u64 as Count = 1024 * 1024,
        key "max_message_bytes", flag "max-message-bytes" "N";
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
    fn json_round_trips() {
        let l = Limits {
            fuel_per_call: u64::MAX,
            call_timeout: Duration::from_millis(7),
            ..Limits::default()
        };
        assert_eq!(l.to_json()["fuel_per_call"], "unlimited");
        assert_eq!(l.to_json()["call_timeout_ms"], 7);
        assert_eq!(Limits::from_json(&l.to_json()), Ok(l));
        let finite = Limits::default();
        assert_eq!(finite.to_json()["fuel_per_call"], 100_000_000);
        assert_eq!(Limits::from_json(&finite.to_json()), Ok(finite));
        assert!(Limits::from_json(&serde_json::json!({"fuel_per_call": 1})).is_err());
    }

    #[test]
    fn json_names_the_key_it_cannot_read() {
        let mut v = Limits::default().to_json();
        v["fuel_per_call"] = "lots".into();
        let err = Limits::from_json(&v).unwrap_err();
        assert_eq!(
            err.to_string(),
            "limits: `fuel_per_call` missing or not a number"
        );
        v["fuel_per_call"] = 1.5.into();
        assert!(Limits::from_json(&v).is_err());
        let mut v = Limits::default().to_json();
        v.as_object_mut().map(|m| m.remove("health_timeout_ms"));
        assert_eq!(
            Limits::from_json(&v),
            Err(LimitJsonError {
                key: "health_timeout_ms"
            })
        );
        v["health_timeout_ms"] = 3.into();
        v["something_else"] = true.into();
        assert!(Limits::from_json(&v).is_ok(), "unknown keys are ignored");
    }

    #[test]
    fn a_table_sets_what_it_names() {
        let table: LimitsToml = serde_json::from_value(serde_json::json!({
            "fuel_per_call": "unlimited", "call_timeout_ms": 30
        }))
        .unwrap();
        let mut l = Limits::default();
        table.apply(&mut l).unwrap();
        assert_eq!(
            l,
            Limits {
                fuel_per_call: UNLIMITED_FUEL,
                call_timeout: Duration::from_millis(30),
                ..Limits::default()
            }
        );
        let lots: LimitsToml = serde_json::from_value(serde_json::json!({
            "fuel_per_call": "lots"
        }))
        .unwrap();
        assert_eq!(
            lots.apply(&mut l).unwrap_err().to_string(),
            "key `limits.fuel_per_call`: `lots` is neither a number nor \"unlimited\""
        );
        let unknown = serde_json::from_value::<LimitsToml>(serde_json::json!({"fuel": 3}));
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("unknown field `fuel`")
        );
    }

    #[test]
    fn keys_and_flags_follow_one_rule() {
        for k in Limits::NAMES {
            assert_eq!(k.duration, k.key.ends_with("_ms"), "{k:?}");
            let flag = match k.key {
                "max_memory_bytes" => "max-memory".to_string(),
                "fuel_per_call" => "fuel".to_string(),
                key => key.replace('_', "-"),
            };
            assert_eq!(k.flag, flag, "{k:?}");
        }
        let json = Limits::default().to_json();
        let keys: Vec<&str> = Limits::NAMES.iter().map(|k| k.key).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(json.as_object().map(|m| m.keys().count()), Some(keys.len()));
        assert!(json.as_object().is_some_and(|m| m.keys().eq(sorted.iter())));
    }

    #[test]
    fn flags_show_what_parse_reads() {
        let l = Limits {
            fuel_per_call: UNLIMITED_FUEL,
            start_timeout: Duration::from_millis(250),
            max_message_bytes: 8,
            ..Limits::default()
        };
        let flags = l.flags_differing_from(&Limits::default());
        let shown: Vec<(&str, &str)> = flags
            .iter()
            .map(|f| (f.name.flag, f.value.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("fuel", "18446744073709551615"),
                ("start-timeout-ms", "250"),
                ("max-message-bytes", "8")
            ]
        );
        assert_eq!(Fuel::parse("18446744073709551615"), Ok(UNLIMITED_FUEL));
        assert_eq!(Fuel::parse("unlimited"), Ok(UNLIMITED_FUEL));
        let lots = Fuel::parse("lots").unwrap_err();
        assert_eq!(
            lots.to_string(),
            "`lots` is neither a number nor `unlimited`"
        );
        assert_eq!(Millis::parse("250"), Ok(Duration::from_millis(250)));
        assert!(Count::parse("x").is_err());
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
