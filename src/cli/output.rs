//! Files the kit writes (reports, pages): written whole or not at all.

use super::bad;
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// An output file written whole or not at all: created beside its place
/// (`PATH.tmp-PID`) before the work begins, so that a place it cannot be written is bad
/// input found before anything runs, and renamed into place once complete. Dropped
/// before that, it is removed.
pub(super) struct Staged {
    path: PathBuf,
    temporary: PathBuf,
    file: Option<std::fs::File>,
}

impl Staged {
    /// `flag` names the file in messages.
    pub(super) fn create(flag: &str, path: &Path) -> anyhow::Result<Staged> {
        let cannot = |why: &dyn std::fmt::Display| bad(format!("{flag} {}: {why}", path.display()));
        if path.is_dir() {
            return Err(cannot(&"is a directory"));
        }
        let Some(name) = path.file_name() else {
            return Err(cannot(&"names no file"));
        };
        let mut name = name.to_os_string();
        name.push(format!(".tmp-{}", std::process::id()));
        let temporary = path.with_file_name(name);
        let file = std::fs::File::create(&temporary).map_err(|e| cannot(&e))?;
        Ok(Staged {
            path: path.to_path_buf(),
            temporary,
            file: Some(file),
        })
    }

    /// A page (`--html`): as [`Staged::create`], but a path ending in `.json` is refused,
    /// so that a report is never overwritten by a page (`report --html *.json` gives the
    /// shell's first report as the page's path).
    pub(super) fn create_page(flag: &str, path: &Path) -> anyhow::Result<Staged> {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            return Err(bad(format!(
                "{flag} {}: a page's path ends in .json, as reports do: name it OUT.html (did the shell put a report there?)",
                path.display()
            )));
        }
        Staged::create(flag, path)
    }

    pub(super) fn commit(mut self, contents: &[u8]) -> anyhow::Result<()> {
        let mut file = self.file.take().expect("committed once");
        file.write_all(contents)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&self.temporary, &self.path))
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Renamed into place, there is nothing here to remove.
        let _ = std::fs::remove_file(&self.temporary);
    }
}
