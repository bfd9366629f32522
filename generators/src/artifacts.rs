//! Writing a scenario to disk: `NAME.wasm`, `NAME.wat` (where the bytes print as a
//! module) and `NAME.json` (the expected outcome in the `trace --json` shape).

use crate::oracle::Ambiguous;
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    // Fields are not named `source`: the message already says the cause, and a source
    // would make error reporters print it twice.
    #[error("cannot write {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{name}: {cause}")]
    Ambiguous { name: String, cause: Ambiguous },
}

fn put(path: PathBuf, contents: &[u8]) -> Result<PathBuf, WriteError> {
    std::fs::write(&path, contents).map_err(|cause| WriteError::Io {
        path: path.clone(),
        cause,
    })?;
    Ok(path)
}

/// Writes `scenario`'s files into `dir` (created if missing) and returns their paths.
pub fn write(scenario: &Scenario, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    std::fs::create_dir_all(dir).map_err(|cause| WriteError::Io {
        path: dir.to_path_buf(),
        cause,
    })?;
    let expectation = scenario
        .expectation_json()
        .map_err(|cause| WriteError::Ambiguous {
            name: scenario.name.clone(),
            cause,
        })?;
    let json = serde_json::to_string_pretty(&expectation).expect("JSON values serialize") + "\n";
    let mut written = vec![
        put(
            dir.join(format!("{}.wasm", scenario.name)),
            &scenario.bytes(),
        )?,
        put(dir.join(format!("{}.json", scenario.name)), json.as_bytes())?,
    ];
    if let Some(wat) = scenario.wat() {
        written.push(put(
            dir.join(format!("{}.wat", scenario.name)),
            wat.as_bytes(),
        )?);
    }
    Ok(written)
}
