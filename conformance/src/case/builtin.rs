//! The cases shipped with the crate, and the expectations shipped for the built-in
//! runtimes: compiled in, and put on disk once per build for whoever reads them as files.
//!
//! Invariants: the directory is named by a hash of its content, so every process of one
//! build shares it and no two builds mix; it is written whole under another name and
//! moved into place, so no reader ever sees it half written.

use std::path::{Path, PathBuf};

/// The built-in cases and the expectations shipped for built-in runtimes, compiled into
/// the crate, so that a binary runs the cases its generators were built with, wherever it
/// is run from.
static BUILTIN: [(&str, include_dir::Dir<'static>); 2] = [
    (
        "cases",
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/cases"),
    ),
    (
        "expectations",
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/expectations"),
    ),
];

/// The expectations file shipped for a built-in runtime (`expectations/NAME.toml`), if
/// there is one.
pub fn builtin_expectations(runtime: &str) -> Option<PathBuf> {
    let path = builtin_root()
        .join("expectations")
        .join(format!("{runtime}.toml"));
    path.is_file().then_some(path)
}

/// The cases shipped with this crate, as a directory (`cases/`, with its `modules/`).
pub fn builtin_dir() -> PathBuf {
    builtin_root().join("cases")
}

/// Writes a copy of the built-in cases (their TOML files and `modules/`) into `to`: a
/// start for a cases directory of your own (`run --cases`), which must still cover every
/// clause.
pub fn copy_builtin_cases(to: &Path) -> std::io::Result<()> {
    let (_, cases) = &BUILTIN[0];
    std::fs::create_dir_all(to)?;
    extract(cases, to)
}

/// Where the built-in files are on disk: written once, from the compiled-in copy, into a
/// directory named by their content (so that every process of one build shares it and
/// no two builds mix), moved into place whole so that no reader sees it half written.
fn builtin_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let mut stable = crate::hash::StableHash::new();
        for (name, dir) in &BUILTIN {
            stable.feed(name.as_bytes());
            for file in all_files(dir) {
                stable.feed(file.path().to_string_lossy().as_bytes());
                stable.feed(file.contents());
            }
        }
        let hash = stable.finish();
        let root = std::env::temp_dir().join(format!("lifecycle-kit-builtin-{hash:016x}"));
        if root.is_dir() {
            return root;
        }
        let staging = std::env::temp_dir().join(format!(
            "lifecycle-kit-builtin-{hash:016x}.{}",
            std::process::id()
        ));
        let written = BUILTIN
            .iter()
            .try_for_each(|(name, dir)| extract(dir, &staging.join(name)));
        match written.and_then(|()| std::fs::rename(&staging, &root)) {
            Ok(()) => root,
            // Another process moved its copy into place first: the same content.
            Err(_) if root.is_dir() => {
                let _ = std::fs::remove_dir_all(&staging);
                root
            }
            // No writable temporary directory: the crate's own files, where they are.
            Err(e) => {
                tracing::warn!(error = %e, "cannot write the built-in cases; reading them from the source tree");
                let _ = std::fs::remove_dir_all(&staging);
                Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
            }
        }
    })
    .clone()
}

fn all_files<'a>(dir: &'a include_dir::Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<&include_dir::File> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(all_files(sub));
    }
    files
}

fn extract(dir: &include_dir::Dir, into: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(into.join(dir.path()))?;
    for file in dir.files() {
        std::fs::write(into.join(file.path()), file.contents())?;
    }
    for sub in dir.dirs() {
        extract(sub, into)?;
    }
    Ok(())
}
