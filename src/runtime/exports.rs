//! The lifecycle exports (CONTRACT §3) and the export check done before instantiation.

use crate::error::{Error, ExportReason, Fault, Stage};
use wasmtime::{ExternType, FuncType, Module, ValType};

pub(crate) const START: &str = "_start";
pub(crate) const CLEANUP: &str = "_cleanup";
pub(crate) const HEALTH: &str = "_health";
pub(crate) const HANDLE_MESSAGE: &str = "handle-message";
pub(crate) const ALLOC: &str = "alloc";
pub(crate) const MEMORY: &str = "memory";

#[derive(Clone, Copy)]
enum Ty {
    I32,
    I64,
}

enum Expected {
    Func(&'static [Ty], &'static [Ty]),
    Memory,
}

/// Every lifecycle export and what it must be, in the order they are checked.
const LIFECYCLE_EXPORTS: &[(&str, Expected)] = &[
    (START, Expected::Func(&[], &[])),
    (CLEANUP, Expected::Func(&[], &[])),
    (HEALTH, Expected::Func(&[], &[Ty::I32])),
    (
        HANDLE_MESSAGE,
        Expected::Func(&[Ty::I32, Ty::I32], &[Ty::I64]),
    ),
    (ALLOC, Expected::Func(&[Ty::I32], &[Ty::I32])),
    (MEMORY, Expected::Memory),
];

/// Exports that `handle-message` needs to be usable.
const MESSAGE_NEEDS: &[&str] = &[MEMORY, ALLOC];

fn bad_export(export: &str, reason: ExportReason) -> Error {
    Error::new(
        Stage::Exports,
        Fault::BadExport {
            export: export.to_string(),
            reason,
        },
    )
}

fn types_match(actual: impl ExactSizeIterator<Item = ValType>, expected: &[Ty]) -> bool {
    actual.len() == expected.len()
        && actual.zip(expected).all(|(a, e)| match e {
            Ty::I32 => matches!(a, ValType::I32),
            Ty::I64 => matches!(a, ValType::I64),
        })
}

fn signature_matches(func: &FuncType, params: &[Ty], results: &[Ty]) -> bool {
    types_match(func.params(), params) && types_match(func.results(), results)
}

/// Checks every lifecycle export the module has, then the exports `handle-message`
/// depends on. Other exports are ignored: the host calls nothing else.
pub(crate) fn check(module: &Module) -> Result<(), Error> {
    for (name, expected) in LIFECYCLE_EXPORTS {
        let Some(actual) = module.get_export(name) else {
            continue;
        };
        match (expected, actual) {
            (Expected::Func(params, results), ExternType::Func(func)) => {
                if !signature_matches(&func, params, results) {
                    return Err(bad_export(name, ExportReason::WrongSignature));
                }
            }
            (Expected::Func(..), _) => return Err(bad_export(name, ExportReason::NotAFunction)),
            (Expected::Memory, ExternType::Memory(_)) => {}
            (Expected::Memory, _) => return Err(bad_export(name, ExportReason::NotAMemory)),
        }
    }
    if module.get_export(HANDLE_MESSAGE).is_some()
        && let Some(missing) = MESSAGE_NEEDS
            .iter()
            .find(|name| module.get_export(name).is_none())
    {
        return Err(bad_export(missing, ExportReason::Missing));
    }
    Ok(())
}

/// The link step: the linker offers no host functions in v1, so the first import of any
/// kind cannot be satisfied.
pub(crate) fn check_imports(module: &Module) -> Result<(), Error> {
    match module.imports().next() {
        None => Ok(()),
        Some(import) => Err(Error::new(
            Stage::Link,
            Fault::LinkFailed {
                import: format!("{}::{}", import.module(), import.name()),
            },
        )),
    }
}
