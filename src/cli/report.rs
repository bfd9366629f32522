//! `lifecycle-kit report`: reports of earlier runs (`run --format json`) read back and
//! shown as one conformance matrix: several runtimes side by side, each runtime's shards
//! merged.

use super::bad;
use super::output::Staged;
use clap::Args;
use lifecycle_conformance::report::{Column, html_matrix};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct ReportArgs {
    /// Write the conformance matrix here, as one self-contained HTML page.
    #[arg(long, value_name = "OUT.html", required = true)]
    html: PathBuf,
    /// Reports written by `run --format json`: one per runtime, or the shards of a run
    /// (reports of one runtime name and version are merged into one column).
    #[arg(value_name = "REPORT.json", required = true)]
    reports: Vec<PathBuf>,
}

/// Writes the page and prints a line per runtime; exits 0 once written, whatever the
/// verdicts (the runs' own exit statuses judge them).
pub(super) fn execute(args: ReportArgs) -> anyhow::Result<()> {
    // Where the page cannot be written is found before anything is read.
    let out = Staged::create_page("--html", &args.html)?;
    let columns = Column::read_all(&args.reports).map_err(bad)?;
    out.commit(html_matrix(&columns).as_bytes())?;
    let mut stdout = std::io::stdout().lock();
    for c in &columns {
        let t = c.totals();
        let (held, missing) = c.shards();
        let shards = match (held.len(), missing.len()) {
            (0, _) => String::new(),
            (n, 0) => format!(", {n} shard(s)"),
            (n, m) => format!(", {n} shard(s), INCOMPLETE: {m} missing"),
        };
        writeln!(
            stdout,
            "{} {}: {} cases: {} passed, {} failed, {} unsupported, {} xfail, {} xpass{shards}",
            c.runtime, c.version, t.total, t.passed, t.failed, t.unsupported, t.xfail, t.xpass
        )?;
    }
    writeln!(stdout, "wrote {}", args.html.display())?;
    Ok(())
}
