//! What the host checks itself, from a module's bytes, before an engine runs it: the
//! header (start step 2), validation under the profile (3), the exports (6a), the link
//! step (6b) and the initial sizes against the limits (6c).
//!
//! Everything here depends only on the bytes and the profile, so it is done once per
//! module and kept in the cache with the compiled module ([`Facts`]). The checks read
//! the bytes with `wasmparser`, never through an engine: every backend gets the same
//! answers, in the same order.

use lifecycle_contract::error::{ExportReason, Fault, Resource, ValidationReason};
use lifecycle_contract::exports::{
    ExportKind, HANDLE_MESSAGE, LIFECYCLE_EXPORTS, MESSAGE_NEEDS, ValKind,
};
use lifecycle_contract::limits::{MAX_MEMORIES, MAX_TABLES, WASM_PAGE_BYTES};
use lifecycle_contract::profile::{Profile, all_standard_features};
use lifecycle_contract::{Error, Limits, Stage};
use std::collections::HashMap;
use wasmparser::{
    CompositeInnerType, ExternalKind, Parser, Payload, ValType, Validator, types::Types,
};

const MAGIC: [u8; 4] = *b"\0asm";
const CORE_VERSION: [u8; 4] = [1, 0, 0, 0];

/// A start-step check done from a module's `Facts`; the lifecycle runs them in its start order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// 6a: every lifecycle export the module has is what the contract says.
    Exports,
    /// 6b: every import can be satisfied (v1 offers none).
    Link,
    /// 6c: the initial sizes the module declares are within the limits.
    Limits,
}

/// What the checks found in one module's bytes.
#[derive(Debug)]
pub struct Facts {
    exports: Result<(), Error>,
    link: Result<(), Error>,
    /// Initial sizes of the memories the module defines, in pages.
    memories: Vec<u64>,
    /// Initial sizes of the tables the module defines, in elements.
    tables: Vec<u64>,
}

fn validation_failed(reason: ValidationReason) -> Error {
    Error::new(Stage::Validate, Fault::ValidationFailed { reason })
}

/// Step 2: the host checks magic and version itself, before any engine sees the bytes.
/// A component-model binary has a different version and fails here too.
pub fn check_header(bytes: &[u8]) -> Result<(), Error> {
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
fn validate(profile: Profile, bytes: &[u8]) -> Result<Types, Error> {
    let err = match Validator::new_with_features(profile.features()).validate_all(bytes) {
        Ok(types) => return Ok(types),
        Err(err) => err,
    };
    let reason = match Validator::new_with_features(all_standard_features()).validate_all(bytes) {
        Ok(_) => ValidationReason::UnsupportedFeature,
        Err(_) => ValidationReason::Malformed,
    };
    Err(validation_failed(reason).with_detail(err))
}

/// Steps 2 and 3, then what the later checks need to know. Errors of steps 2 and 3 are
/// returned; the outcomes of the export and link checks are kept in the facts.
pub fn examine(profile: Profile, bytes: &[u8]) -> Result<Facts, Error> {
    check_header(bytes)?;
    let types = validate(profile, bytes)?;
    let mut exports = HashMap::new();
    let mut first_import = None;
    let (mut memories, mut tables) = (Vec::new(), Vec::new());
    // Validated above, so every payload reads.
    for payload in Parser::new(0).parse_all(bytes).flatten() {
        match payload {
            Payload::ImportSection(s) if first_import.is_none() => {
                first_import = s
                    .into_imports()
                    .flatten()
                    .next()
                    .map(|i| format!("{}::{}", i.module, i.name));
            }
            Payload::MemorySection(s) => {
                memories.extend(s.into_iter().flatten().map(|m| m.initial))
            }
            Payload::TableSection(s) => {
                tables.extend(s.into_iter().flatten().map(|t| t.ty.initial))
            }
            Payload::ExportSection(s) => {
                for export in s.into_iter().flatten() {
                    exports.insert(export.name.to_string(), (export.kind, export.index));
                }
            }
            _ => {}
        }
    }
    Ok(Facts {
        exports: check_exports(&types, &exports),
        link: match first_import {
            None => Ok(()),
            Some(import) => Err(Error::new(Stage::Link, Fault::LinkFailed { import })),
        },
        memories,
        tables,
    })
}

fn bad_export(export: &str, reason: ExportReason) -> Error {
    let export = export.to_string();
    Error::new(Stage::Exports, Fault::BadExport { export, reason })
}

fn types_match(actual: &[ValType], expected: &[ValKind]) -> bool {
    actual.len() == expected.len()
        && actual.iter().zip(expected).all(|(a, e)| match e {
            ValKind::I32 => *a == ValType::I32,
            ValKind::I64 => *a == ValType::I64,
        })
}

/// Step 6a: every lifecycle export the module has, then the exports `handle-message`
/// depends on. Other exports are ignored: the host calls nothing else.
fn check_exports(
    types: &Types,
    exports: &HashMap<String, (ExternalKind, u32)>,
) -> Result<(), Error> {
    for export in LIFECYCLE_EXPORTS {
        let name = export.name;
        let Some(&(kind, index)) = exports.get(name) else {
            continue;
        };
        match (export.kind, kind) {
            (ExportKind::Func { params, results }, ExternalKind::Func) => {
                // Validated, so the index is in bounds.
                let id = types.as_ref().core_function_at(index);
                let matches = match &types[id].composite_type.inner {
                    CompositeInnerType::Func(f) => {
                        types_match(f.params(), params) && types_match(f.results(), results)
                    }
                    _ => false,
                };
                if !matches {
                    return Err(bad_export(name, ExportReason::WrongSignature));
                }
            }
            (ExportKind::Func { .. }, _) => {
                return Err(bad_export(name, ExportReason::NotAFunction));
            }
            (ExportKind::Memory, ExternalKind::Memory) => {}
            (ExportKind::Memory, _) => return Err(bad_export(name, ExportReason::NotAMemory)),
        }
    }
    if exports.contains_key(HANDLE_MESSAGE)
        && let Some(missing) = MESSAGE_NEEDS
            .iter()
            .find(|name| !exports.contains_key(**name))
    {
        return Err(bad_export(missing, ExportReason::Missing));
    }
    Ok(())
}

impl Facts {
    /// Runs one check.
    pub fn pass(&self, gate: Gate, limits: &Limits) -> Result<(), Error> {
        match gate {
            Gate::Exports => self.exports.clone(),
            Gate::Link => self.link.clone(),
            Gate::Limits => match self.first_exceeded(limits) {
                None => Ok(()),
                Some(resource) => Err(Error::new(
                    Stage::Instantiate,
                    Fault::ResourceLimitExceeded { resource },
                )),
            },
        }
    }

    /// The first resource whose declared initial size or count the limits refuse.
    fn first_exceeded(&self, limits: &Limits) -> Option<Resource> {
        let memory_fits =
            |&pages: &u64| limits.admits_memory(pages.saturating_mul(WASM_PAGE_BYTES));
        if self.memories.len() > MAX_MEMORIES || !self.memories.iter().all(memory_fits) {
            return Some(Resource::Memory);
        }
        if self.tables.len() > MAX_TABLES || !self.tables.iter().all(|&t| limits.admits_table(t)) {
            return Some(Resource::Table);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
