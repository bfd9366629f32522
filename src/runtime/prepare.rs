//! Start steps 2 to 6 for a module's bytes: everything that depends only on the bytes
//! and the profile, done once per module and kept in the cache.

use super::exports;
use crate::error::{Error, Fault, Stage, ValidationReason};
use crate::profile::{Profile, all_standard_features};
use wasmparser::Validator;
use wasmtime::{Engine, Module};

const MAGIC: [u8; 4] = *b"\0asm";
const CORE_VERSION: [u8; 4] = [1, 0, 0, 0];

/// A module that passed validation and compilation, with the outcome of its export and
/// link checks (deterministic, so kept with it).
pub(crate) struct Prepared {
    pub module: Module,
    pub exports: Result<(), Error>,
    pub imports: Result<(), Error>,
}

fn validation_failed(reason: ValidationReason) -> Error {
    Error::new(Stage::Validate, Fault::ValidationFailed { reason })
}

/// Step 2: the host checks magic and version itself, before any engine sees the bytes.
/// A component-model binary has a different version and fails here too.
pub(crate) fn check_header(bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() < 8 || bytes[..4] != MAGIC || bytes[4..8] != CORE_VERSION {
        let got: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return Err(
            validation_failed(ValidationReason::BadMagic).with_detail(format!(
                "expected 0061736d01000000, found {:?}",
                got.concat()
            )),
        );
    }
    Ok(())
}

/// Step 3: validation under the profile; a module that only the full standard feature
/// set accepts is `unsupported_feature`, anything else rejected is `malformed`.
pub(crate) fn validate(profile: Profile, bytes: &[u8]) -> Result<(), Error> {
    let Err(err) = Validator::new_with_features(profile.features()).validate_all(bytes) else {
        return Ok(());
    };
    let reason = match Validator::new_with_features(all_standard_features()).validate_all(bytes) {
        Ok(_) => ValidationReason::UnsupportedFeature,
        Err(_) => ValidationReason::Malformed,
    };
    Err(validation_failed(reason).with_detail(err))
}

/// Steps 2 to 6 for bytes not in the cache. Errors of steps 2–4 are returned; the export
/// and link outcomes travel with the compiled module.
pub(crate) fn prepare(engine: &Engine, profile: Profile, bytes: &[u8]) -> Result<Prepared, Error> {
    check_header(bytes)?;
    validate(profile, bytes)?;
    let module = Module::from_binary(engine, bytes)
        .map_err(|e| Error::new(Stage::Compile, Fault::LoadFailed).with_detail(e))?;
    Ok(Prepared {
        exports: exports::check(&module),
        imports: exports::check_imports(&module),
        module,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// `load_failed` is for a module the host validated that the engine cannot compile.
    /// Wasmtime compiles everything our profiles admit, so reach that path with an
    /// engine narrower than the profile.
    #[test]
    fn a_valid_module_the_engine_cannot_compile_is_load_failed() {
        let mut config = wasmtime::Config::new();
        config
            .wasm_features(wasmtime::WasmFeatures::all(), false)
            .wasm_features(Profile::Strict.features(), true);
        let narrow = Engine::new(&config).unwrap();
        let simd = wat::parse_str("(module (func (drop (v128.const i64x2 0 0))))").unwrap();
        let err = prepare(&narrow, Profile::Standard, &simd)
            .err()
            .expect("compile fails");
        assert_eq!(
            (err.kind(), err.stage),
            (ErrorKind::LoadFailed, Stage::Compile)
        );
        assert!(
            err.detail.is_some(),
            "the engine's message is kept as detail"
        );
    }

    #[test]
    fn header_check_needs_magic_and_core_version() {
        assert!(check_header(b"\0asm\x01\0\0\0").is_ok());
        for bad in [
            &b""[..],
            b"\0asm",
            b"\0asm\x01\0\0",
            b"\0asn\x01\0\0\0",
            b"\0asm\x0d\0\x01\0",
        ] {
            let err = check_header(bad).unwrap_err();
            assert_eq!(
                err.fault,
                Fault::ValidationFailed {
                    reason: ValidationReason::BadMagic
                }
            );
        }
    }
}
