//! Where a component's module comes from (start step 1, `load`).

use crate::error::{Error, Fault, Stage, ValidationReason};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A module's source: bytes in memory, or a file read when the component starts.
#[derive(Clone, Debug)]
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

    /// The binary module. A missing or unreadable file is `component_not_found`; a
    /// `.wat` file that is not valid text format is `validation_failed` (`malformed`).
    pub async fn load(&self) -> Result<Arc<[u8]>, Error> {
        let path = match self {
            ModuleSource::Bytes(bytes) => return Ok(bytes.clone()),
            ModuleSource::File(path) => path,
        };
        let bytes = tokio::fs::read(path).await.map_err(|e| {
            Error::new(Stage::Load, Fault::ComponentNotFound)
                .with_detail(format!("{}: {e}", path.display()))
        })?;
        if is_wat(path) {
            return wat::parse_bytes(&bytes)
                .map(|b| Arc::from(b.into_owned()))
                .map_err(|e| {
                    Error::new(
                        Stage::Validate,
                        Fault::ValidationFailed {
                            reason: ValidationReason::Malformed,
                        },
                    )
                    .with_detail(format!("{}: {e}", path.display()))
                });
        }
        Ok(bytes.into())
    }
}

fn is_wat(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("wat"))
}
