//! `lifecycle-kit bench`: the runtimes measured beside bare Wasmtime and an
//! engine-per-start baseline.

use super::{bad, progress_bar};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(super) struct BenchArgs {
    /// Print the figures as one JSON object.
    #[arg(long)]
    json: bool,
    /// Every figure from few samples, in seconds (what CI runs; the figures mean little).
    #[arg(long)]
    quick: bool,
    /// Also write the figures, drawn against their floors and goals, as one
    /// self-contained HTML page here.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
}

pub(super) async fn execute(args: BenchArgs) -> anyhow::Result<()> {
    use lifecycle_kit::bench;
    // A place the page cannot be written is found before minutes of measuring.
    let page = args
        .html
        .as_deref()
        .map(|path| Aside::create("--html", path))
        .transpose()?;
    let bar = progress_bar(
        bench::STEPS.len() as u64,
        "{bar:30} {pos}/{len} {msg} ({elapsed})",
    );
    let settings = bench::Settings { quick: args.quick };
    let report = bench::run(settings, &mut |step| {
        bar.set_message(step.to_string());
        bar.inc(1);
    })
    .await;
    bar.finish_and_clear();
    let report = report?;
    if let Some(page) = page {
        page.commit(bench::html::html(&report).as_bytes())?;
    }
    let mut out = std::io::stdout().lock();
    match args.json {
        true => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        false => write!(out, "{report}")?,
    }
    Ok(())
}

/// A file written whole or not at all: created aside, beside its place
/// (`PATH.tmp-PID`, so the rename stays on one file system), before the work begins, and
/// renamed into place once complete; dropped before that, the file aside is removed.
/// (As `run --junit` stages its report.)
struct Aside {
    path: PathBuf,
    aside: PathBuf,
    file: Option<std::fs::File>,
}

impl Aside {
    /// `flag` names the file in messages: an unwritable place is bad input.
    fn create(flag: &str, path: &Path) -> anyhow::Result<Aside> {
        let cannot = |why: &dyn std::fmt::Display| bad(format!("{flag} {}: {why}", path.display()));
        if path.is_dir() {
            return Err(cannot(&"is a directory"));
        }
        let Some(name) = path.file_name() else {
            return Err(cannot(&"names no file"));
        };
        let mut name = name.to_os_string();
        name.push(format!(".tmp-{}", std::process::id()));
        let aside = path.with_file_name(name);
        let file = std::fs::File::create(&aside).map_err(|e| cannot(&e))?;
        Ok(Aside {
            path: path.to_path_buf(),
            aside,
            file: Some(file),
        })
    }

    fn commit(mut self, contents: &[u8]) -> anyhow::Result<()> {
        let mut file = self.file.take().expect("committed once");
        file.write_all(contents)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&self.aside, &self.path))
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

impl Drop for Aside {
    fn drop(&mut self) {
        // Renamed into place, there is nothing here to remove.
        let _ = std::fs::remove_file(&self.aside);
    }
}
