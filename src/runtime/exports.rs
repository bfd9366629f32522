//! The lifecycle exports (CONTRACT §3) and the export check done before instantiation.

use crate::error::{Error, ExportReason, Fault, Stage};
use wasmtime::{ExternType, FuncType, Module, ValType};

pub(crate) use lifecycle_contract::exports::{
    ALLOC, CLEANUP, HANDLE_MESSAGE, HEALTH, MEMORY, START,
};
use lifecycle_contract::exports::{ExportKind, LIFECYCLE_EXPORTS, MESSAGE_NEEDS, ValKind};

fn bad_export(export: &str, reason: ExportReason) -> Error {
    Error::new(
        Stage::Exports,
        Fault::BadExport {
            export: export.to_string(),
            reason,
        },
    )
}

fn types_match(actual: impl ExactSizeIterator<Item = ValType>, expected: &[ValKind]) -> bool {
    actual.len() == expected.len()
        && actual.zip(expected).all(|(a, e)| match e {
            ValKind::I32 => matches!(a, ValType::I32),
            ValKind::I64 => matches!(a, ValType::I64),
        })
}

fn signature_matches(func: &FuncType, params: &[ValKind], results: &[ValKind]) -> bool {
    types_match(func.params(), params) && types_match(func.results(), results)
}

/// Checks every lifecycle export the module has, then the exports `handle-message`
/// depends on. Other exports are ignored: the host calls nothing else.
pub(crate) fn check(module: &Module) -> Result<(), Error> {
    for export in LIFECYCLE_EXPORTS {
        let name = export.name;
        let Some(actual) = module.get_export(name) else {
            continue;
        };
        match (export.kind, actual) {
            (ExportKind::Func { params, results }, ExternType::Func(func)) => {
                if !signature_matches(&func, params, results) {
                    return Err(bad_export(name, ExportReason::WrongSignature));
                }
            }
            (ExportKind::Func { .. }, _) => {
                return Err(bad_export(name, ExportReason::NotAFunction));
            }
            (ExportKind::Memory, ExternType::Memory(_)) => {}
            (ExportKind::Memory, _) => return Err(bad_export(name, ExportReason::NotAMemory)),
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
