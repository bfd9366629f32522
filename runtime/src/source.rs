//! Start step 1, `load`: a [`ModuleSource`]'s bytes.

pub use lifecycle_contract::ModuleSource;
use lifecycle_contract::error::{Fault, ValidationReason};
pub(crate) use lifecycle_contract::source::is_wat;
use lifecycle_contract::{Error, Stage};
use std::sync::Arc;

/// The binary module. A missing or unreadable file is `component_not_found`; a `.wat`
/// file that is not valid text format is `validation_failed` (`malformed`).
pub async fn load(source: &ModuleSource) -> Result<Arc<[u8]>, Error> {
    let path = match source {
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
                let malformed = Fault::ValidationFailed {
                    reason: ValidationReason::Malformed,
                };
                Error::new(Stage::Validate, malformed)
                    .with_detail(format!("{}: {e}", path.display()))
            });
    }
    Ok(bytes.into())
}
