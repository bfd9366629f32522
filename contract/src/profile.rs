//! Feature profiles (SPEC.md §6, LC-PROFILE-*). One feature set per profile drives both the host's
//! validator and the engine's configuration, so the two cannot disagree.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use wasmparser::WasmFeatures;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// MVP plus multi-value, mutable globals, sign extension, non-trapping float-to-int.
    #[default]
    Strict,
    /// `strict` plus bulk memory, reference types and SIMD.
    Standard,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Strict, Profile::Standard];

    pub fn features(self) -> WasmFeatures {
        let strict = WasmFeatures::WASM1
            | WasmFeatures::MULTI_VALUE
            | WasmFeatures::SIGN_EXTENSION
            | WasmFeatures::SATURATING_FLOAT_TO_INT;
        match self {
            Profile::Strict => strict,
            Profile::Standard => {
                strict
                    | WasmFeatures::BULK_MEMORY
                    | WasmFeatures::REFERENCE_TYPES
                    | WasmFeatures::SIMD
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Strict => "strict",
            Profile::Standard => "standard",
        }
    }
}

/// Every standardised feature (WebAssembly 3.0). A module that validates under this set
/// but not under a profile uses a feature the profile leaves out: `unsupported_feature`.
pub fn all_standard_features() -> WasmFeatures {
    WasmFeatures::WASM3
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown profile `{s}` (expected `strict` or `standard`)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_is_strict_plus_three() {
        let extra = Profile::Standard
            .features()
            .difference(Profile::Strict.features());
        assert_eq!(
            extra,
            WasmFeatures::BULK_MEMORY | WasmFeatures::REFERENCE_TYPES | WasmFeatures::SIMD
        );
        for off in [
            WasmFeatures::RELAXED_SIMD,
            WasmFeatures::THREADS,
            WasmFeatures::MULTI_MEMORY,
            WasmFeatures::MEMORY64,
            WasmFeatures::TAIL_CALL,
            WasmFeatures::EXCEPTIONS,
            WasmFeatures::GC,
            WasmFeatures::COMPONENT_MODEL,
        ] {
            assert!(!Profile::Standard.features().contains(off), "{off:?}");
        }
        assert!(all_standard_features().contains(Profile::Standard.features()));
    }

    #[test]
    fn parses_its_own_names() {
        for p in Profile::ALL {
            assert_eq!(p.as_str().parse::<Profile>(), Ok(p));
        }
        assert!("loose".parse::<Profile>().is_err());
    }
}
