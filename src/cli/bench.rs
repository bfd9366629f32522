//! `lifecycle-kit bench`: the runtimes measured beside bare Wasmtime and an
//! engine-per-start baseline.

use super::output::Staged;
use super::progress_bar;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

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
        .map(|path| Staged::create_page("--html", path))
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
