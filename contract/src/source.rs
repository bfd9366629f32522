//! Where a component's module comes from (start step 1, `load`): the one module-input
//! type every runtime, the suite and the adapter protocol share.

use std::path::PathBuf;
use std::sync::Arc;

/// A module's source: bytes in memory, or a file the runtime reads when the component
/// starts (so that a missing file is its `component_not_found`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// A `.wasm` binary, or a `.wat` text file (converted by its extension, never by
    /// sniffing: non-wasm bytes are never parsed as text).
    File(PathBuf),
    /// A binary module.
    Bytes(Arc<[u8]>),
}

impl ModuleSource {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        ModuleSource::File(path.into())
    }

    pub fn bytes(bytes: impl Into<Arc<[u8]>>) -> Self {
        ModuleSource::Bytes(bytes.into())
    }
}
