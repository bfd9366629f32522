//! Where a component's module comes from (start step 1, `load`): the one module-input
//! type every runtime, the suite and the adapter protocol share.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A module's source: bytes in memory, or a file the runtime reads when the component
/// starts (so that a missing file is its `component_not_found`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// A `.wasm` binary, or a `.wat` text file (converted by its extension, see
    /// [`is_wat`], never by sniffing: non-wasm bytes are never parsed as text).
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

/// Whether `path` names WAT text: by its extension (`.wat`, any case), never by sniffing
/// the bytes. The one rule for every reader of module files: the reference runtime's
/// load step, and the adapter client, which compiles such a file before an adapter sees
/// it (ADAPTER.md).
pub fn is_wat(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("wat"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_told_by_the_extension_alone() {
        assert!(is_wat(Path::new("examples/echo.wat")));
        assert!(is_wat(Path::new("ECHO.WAT")));
        assert!(!is_wat(Path::new("echo.wasm")));
        assert!(!is_wat(Path::new("wat")));
        assert!(!is_wat(Path::new("echo.wat.wasm")));
    }
}
