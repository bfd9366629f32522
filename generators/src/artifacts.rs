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
    #[error("cannot write into {}: it exists and is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("{name}: {cause}")]
    Ambiguous { name: String, cause: Ambiguous },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |cause| WriteError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// `scenario`'s files, by name, in memory: `NAME.wasm`, `NAME.json` and, where the bytes
/// print as a module, `NAME.wat`.
pub fn files(scenario: &Scenario) -> Result<Vec<(String, Vec<u8>)>, WriteError> {
    let expectation = scenario
        .expectation_json()
        .map_err(|cause| WriteError::Ambiguous {
            name: scenario.name.clone(),
            cause,
        })?;
    let json = serde_json::to_string_pretty(&expectation).expect("JSON values serialize") + "\n";
    let mut files = vec![
        (format!("{}.wasm", scenario.name), scenario.bytes()),
        (format!("{}.json", scenario.name), json.into_bytes()),
    ];
    if let Some(wat) = scenario.wat() {
        files.push((format!("{}.wat", scenario.name), wat.into_bytes()));
    }
    Ok(files)
}

/// Writes `scenario`'s files into `dir` (created if missing) and returns their paths.
pub fn write(scenario: &Scenario, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    write_all(std::slice::from_ref(scenario), dir)
}

/// Writes every scenario's files into `dir` and returns their paths, all or nothing:
/// every file is made in memory first (an expectation the oracle cannot give fails before
/// anything is written). A `dir` that does not exist is written whole beside itself and
/// renamed into place (its parent is created if missing); into one that exists, each
/// file is written beside its place and renamed into it once all are written (a file
/// is never seen half written). When writing fails, nothing new is left in `dir`, and no
/// `dir` where there was none.
pub fn write_all(scenarios: &[Scenario], dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    let mut all = Vec::new();
    for scenario in scenarios {
        all.extend(files(scenario)?);
    }
    let paths = all.iter().map(|(name, _)| dir.join(name)).collect();
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => write_into(&all, dir)?,
        Ok(_) => {
            return Err(WriteError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_new(&all, dir)?,
        Err(cause) => {
            return Err(WriteError::Io {
                path: dir.to_path_buf(),
                cause,
            });
        }
    }
    Ok(paths)
}

/// `name` with `.tmp-PID` after it: a place beside a path to write first.
fn beside(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// A new `dir`: written whole under another name, then renamed.
fn write_new(files: &[(String, Vec<u8>)], dir: &Path) -> Result<(), WriteError> {
    if dir.file_name().is_none() {
        return Err(WriteError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let staging = beside(dir);
    let _ = std::fs::remove_dir_all(&staging);
    let written = std::fs::create_dir(&staging)
        .map_err(io(dir))
        .and_then(|()| {
            files.iter().try_for_each(|(name, contents)| {
                std::fs::write(staging.join(name), contents).map_err(io(&dir.join(name)))
            })
        })
        .and_then(|()| std::fs::rename(&staging, dir).map_err(io(dir)));
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    written
}

/// An existing `dir`: every file written beside its place first, then each renamed.
fn write_into(files: &[(String, Vec<u8>)], dir: &Path) -> Result<(), WriteError> {
    let mut pending: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (name, contents) in files {
        let path = dir.join(name);
        let temporary = beside(&path);
        if let Err(cause) = std::fs::write(&temporary, contents) {
            let _ = std::fs::remove_file(&temporary);
            for (written, _) in &pending {
                let _ = std::fs::remove_file(written);
            }
            return Err(WriteError::Io { path, cause });
        }
        pending.push((temporary, path));
    }
    let mut renamed = Ok(());
    for (temporary, path) in &pending {
        if renamed.is_ok() {
            renamed = std::fs::rename(temporary, path).map_err(io(path));
        }
        if renamed.is_err() {
            let _ = std::fs::remove_file(temporary);
        }
    }
    renamed
}
