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
use lifecycle_contract::{Abi, Error, Limits, Stage};
use std::collections::HashMap;
use wasmparser::{
    CompositeInnerType, ExternalKind, Parser, Payload, ValType, Validator, WasmFeatures,
    types::Types,
};

const MAGIC: [u8; 4] = *b"\0asm";
const CORE_VERSION: [u8; 4] = [1, 0, 0, 0];
/// A component's version `0x0d` and layer 1 (LC-CM-1).
const COMPONENT_VERSION: [u8; 4] = [0x0d, 0, 1, 0];

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

/// Step 2: the host checks magic and version itself, before any engine sees the bytes:
/// a core module's with the core ABI, a component's with the component ABI (LC-CM-1).
pub fn check_header(abi: Abi, bytes: &[u8]) -> Result<(), Error> {
    let version = match abi {
        Abi::Core => CORE_VERSION,
        Abi::Component => COMPONENT_VERSION,
    };
    if bytes.len() < 8 || bytes[..4] != MAGIC || bytes[4..8] != version {
        let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let detail = format!(
            "expected {}{} ({abi} ABI), found {:?}",
            hex(&MAGIC),
            hex(&version),
            hex(&bytes[..bytes.len().min(8)])
        );
        return Err(validation_failed(ValidationReason::BadMagic).with_detail(detail));
    }
    Ok(())
}

/// Step 3: validation under the profile; a module that only the full standard feature
/// set accepts is `unsupported_feature`, anything else rejected is `malformed`.
/// A component's core modules are validated under the profile too.
fn validate(profile: Profile, abi: Abi, bytes: &[u8]) -> Result<Types, Error> {
    let model = match abi {
        Abi::Core => WasmFeatures::empty(),
        Abi::Component => WasmFeatures::COMPONENT_MODEL,
    };
    let err = match Validator::new_with_features(profile.features() | model).validate_all(bytes) {
        Ok(types) => return Ok(types),
        Err(err) => err,
    };
    let reason =
        match Validator::new_with_features(all_standard_features() | model).validate_all(bytes) {
            Ok(_) => ValidationReason::UnsupportedFeature,
            Err(_) => ValidationReason::Malformed,
        };
    Err(validation_failed(reason).with_detail(err))
}

/// Steps 2 and 3, then what the later checks need to know. Errors of steps 2 and 3 are
/// returned; the outcomes of the export and link checks are kept in the facts.
pub fn examine(profile: Profile, abi: Abi, bytes: &[u8]) -> Result<Facts, Error> {
    check_header(abi, bytes)?;
    let types = validate(profile, abi, bytes)?;
    if abi == Abi::Component {
        return Ok(examine_component(bytes));
    }
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

/// What the later checks need to know of a validated component: the world it exports
/// (LC-CM-2), its first import (LC-CM-3: v1 satisfies none), and the initial sizes of the
/// memories and tables its core modules define.
fn examine_component(bytes: &[u8]) -> Facts {
    let mut first_import = None;
    let (mut memories, mut tables) = (Vec::new(), Vec::new());
    // Validated, so every payload reads; nested modules' and components' payloads come
    // in order, each ending with its `End`. Only the outer component's imports are the
    // host's to satisfy (a nested component imports what its parent gives it).
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes).flatten() {
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(s) if depth == 0 && first_import.is_none() => {
                first_import = s
                    .into_iter()
                    .flatten()
                    .next()
                    .map(|i| i.name.name.to_string());
            }
            Payload::MemorySection(s) => {
                memories.extend(s.into_iter().flatten().map(|m| m.initial))
            }
            Payload::TableSection(s) => {
                tables.extend(s.into_iter().flatten().map(|t| t.ty.initial))
            }
            _ => {}
        }
    }
    Facts {
        exports: super::world::check_exports(bytes),
        link: match first_import {
            None => Ok(()),
            Some(import) => Err(Error::new(Stage::Link, Fault::LinkFailed { import })),
        },
        memories,
        tables,
    }
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
                    return Err(Error::bad_export(name, ExportReason::WrongSignature));
                }
            }
            (ExportKind::Func { .. }, _) => {
                return Err(Error::bad_export(name, ExportReason::NotAFunction));
            }
            (ExportKind::Memory, ExternalKind::Memory) => {}
            (ExportKind::Memory, _) => {
                return Err(Error::bad_export(name, ExportReason::NotAMemory));
            }
        }
    }
    if exports.contains_key(HANDLE_MESSAGE)
        && let Some(missing) = MESSAGE_NEEDS
            .iter()
            .find(|name| !exports.contains_key(**name))
    {
        return Err(Error::bad_export(missing, ExportReason::Missing));
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
        assert!(check_header(Abi::Core, b"\0asm\x01\0\0\0").is_ok());
        assert!(check_header(Abi::Component, b"\0asm\x0d\0\x01\0").is_ok());
        let core = check_header(Abi::Component, b"\0asm\x01\0\0\0").unwrap_err();
        let expected = "expected 0061736d0d000100 (component ABI), found \"0061736d01000000\"";
        assert_eq!(core.detail.as_deref(), Some(expected));
        for bad in [
            &b""[..],
            b"\0asm",
            b"\0asm\x01\0\0",
            b"\0asn\x01\0\0\0",
            b"\0asm\x0d\0\x01\0",
        ] {
            let err = check_header(Abi::Core, bad).unwrap_err();
            assert_eq!(
                err.fault,
                Fault::ValidationFailed {
                    reason: ValidationReason::BadMagic
                }
            );
        }
    }
}
