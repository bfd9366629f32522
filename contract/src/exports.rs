//! The lifecycle exports (SPEC.md §3's table, LC-EXPORT-1, LC-EXPORT-2): their names, what each must be, and the order in
//! which a runtime checks them.

identifiers! {
    /// A lifecycle function export: an entry point of the guest that the host calls.
    /// (The wasm `start` section is the other entry point; it runs inside instantiation
    /// and is no export.)
    Entry {
        Start => "_start",
        Cleanup => "_cleanup",
        Health => "_health",
        HandleMessage => "handle-message",
        Alloc => "alloc",
    }
}

pub const START: &str = Entry::Start.as_str();
pub const CLEANUP: &str = Entry::Cleanup.as_str();
pub const HEALTH: &str = Entry::Health.as_str();
pub const HANDLE_MESSAGE: &str = Entry::HandleMessage.as_str();
pub const ALLOC: &str = Entry::Alloc.as_str();
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
