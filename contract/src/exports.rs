//! The lifecycle exports (CONTRACT §3): their names, what each must be, and the order in
//! which a runtime checks them.

pub const START: &str = "_start";
pub const CLEANUP: &str = "_cleanup";
pub const HEALTH: &str = "_health";
pub const HANDLE_MESSAGE: &str = "handle-message";
pub const ALLOC: &str = "alloc";
pub const MEMORY: &str = "memory";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValKind {
    I32,
    I64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Func {
        params: &'static [ValKind],
        results: &'static [ValKind],
    },
    Memory,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifecycleExport {
    pub name: &'static str,
    pub kind: ExportKind,
}

const fn func(
    name: &'static str,
    params: &'static [ValKind],
    results: &'static [ValKind],
) -> LifecycleExport {
    LifecycleExport {
        name,
        kind: ExportKind::Func { params, results },
    }
}

/// Every lifecycle export, in the order they are checked.
pub const LIFECYCLE_EXPORTS: &[LifecycleExport] = &[
    func(START, &[], &[]),
    func(CLEANUP, &[], &[]),
    func(HEALTH, &[], &[ValKind::I32]),
    func(
        HANDLE_MESSAGE,
        &[ValKind::I32, ValKind::I32],
        &[ValKind::I64],
    ),
    func(ALLOC, &[ValKind::I32], &[ValKind::I32]),
    LifecycleExport {
        name: MEMORY,
        kind: ExportKind::Memory,
    },
];

/// What `handle-message` needs to be usable, checked in this order after the exports.
pub const MESSAGE_NEEDS: &[&str] = &[MEMORY, ALLOC];
