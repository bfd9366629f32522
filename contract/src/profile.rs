//! Feature profiles (SPEC.md §6, LC-PROFILE-*). One feature set per profile drives both the host's
//! validator and the engine's configuration, so the two cannot disagree.

use wasmparser::WasmFeatures;

identifiers! {
    /// A feature profile: which WebAssembly features a component's module may use.
    #[derive(Default)]
    Profile ("profile") {
        /// MVP plus multi-value, mutable globals, sign extension, non-trapping float-to-int.
        #[default]
        Strict => "strict",
        /// `strict` plus bulk memory, reference types and SIMD.
        Standard => "standard",
    }
}

impl Profile {
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
}

/// Every standardised feature (WebAssembly 3.0). A module that validates under this set
/// but not under a profile uses a feature the profile leaves out: `unsupported_feature`.
pub fn all_standard_features() -> WasmFeatures {
    WasmFeatures::WASM3
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
