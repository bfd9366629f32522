//! The command line: one file per command, each its arguments and an `execute`; the
//! choice of runtime under test they share ([`subject`]). Errors become messages here
//! and nowhere else: bad input ([`Usage`]) exits 2 with one line naming what and where,
//! any other failure exits 1.

mod adapter;
mod bench;
mod fuzz;
mod generate;
mod mutants;
mod output;
mod report;
mod run;
mod soak;
mod subject;
mod trace;

use clap::{Parser, Subcommand};
pub(crate) use lifecycle_generators::scenario::shell_quote;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "lifecycle-kit",
    version,
    about = "Conformance kit for the lifecycle of WebAssembly actor components"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one module through start, messages, health and stop, and show what happened.
    Trace(trace::TraceArgs),
    /// Generate modules with lifecycle behaviours and misbehaviours, and their expected outcomes.
    Gen(generate::GenArgs),
    /// Run the conformance suite against a runtime and report a verdict per contract clause.
    Run(run::RunArgs),
    /// Show reports of earlier runs (`run --format json`) as one conformance matrix: a
    /// self-contained HTML page, runtimes side by side, shards merged.
    Report(report::ReportArgs),
    /// Run the suite against every faulty runtime (needs `--features defects`).
    Mutants(mutants::MutantsArgs),
    /// Serve a built-in runtime over the adapter protocol on stdin and stdout.
    Adapter(adapter::AdapterArgs),
    /// Measure the runtimes beside bare Wasmtime and an engine-per-start baseline.
    Bench(bench::BenchArgs),
    /// Run many start / message / stop cycles across misbehaving guests; exit 1 if
    /// anything stays live or the process grows.
    Soak(soak::SoakArgs),
    /// Draw random trials, check each against the oracle (or another runtime), and shrink
    /// every failure to a minimal case file; exit 1 if anything failed.
    Fuzz(fuzz::FuzzArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Format {
    Human,
    Json,
}

/// Bad input found after parsing, like clap's own errors: a flag's value, a file or
/// directory a flag names (a cases directory, an expectations file, an output path), an
/// adapter command that does not start or greet. One line naming what and where, exit 2,
/// before anything is written. (A module `trace` is given is not checked here: a module
/// that cannot be read is the runtime's `component_not_found`, LC-START-1.)
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct Usage(String);

pub(super) fn bad(why: impl std::fmt::Display) -> anyhow::Error {
    Usage(why.to_string()).into()
}

/// A progress bar on standard error, drawn only where a person watches it.
pub(super) fn progress_bar(len: u64, template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // Nothing but the program's name: clap would print the whole help.
            let commands: Vec<String> = <Cli as clap::CommandFactory>::command()
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .filter(|name| name != "help")
                .collect();
            eprintln!(
                "error: no command given: one of {} (see `lifecycle-kit --help`)",
                commands.join(", ")
            );
            return ExitCode::from(2);
        }
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message, up to its usage block, on one line.
            let rendered = e.render().to_string();
            let words: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            eprintln!("{} (see `lifecycle-kit --help`)", words.join(" "));
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    // Interpreters under test (wasmi) recurse natively when translating deeply nested
    // code; tokio's default 2 MiB worker stacks are too small for some modules.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(16 << 20)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Trace(args) => trace::execute(args).await.map(|()| ExitCode::SUCCESS),
            Command::Gen(args) => generate::execute(args).map(|()| ExitCode::SUCCESS),
            // The suite ran: exit 1 if anything failed (the report says what).
            Command::Run(args) => run::execute(args).await.map(exit_code),
            Command::Report(args) => report::execute(args).map(|()| ExitCode::SUCCESS),
            // Exit 1 if any mutant survived.
            Command::Mutants(args) => mutants::execute(args).await.map(exit_code),
            Command::Adapter(args) => adapter::execute(args).await.map(|()| ExitCode::SUCCESS),
            Command::Bench(args) => bench::execute(args).await.map(|()| ExitCode::SUCCESS),
            // Exit 1 if anything stayed live or grew.
            Command::Soak(args) => soak::execute(args).await.map(exit_code),
            // Exit 1 if anything failed.
            Command::Fuzz(args) => fuzz::execute(args).await.map(exit_code),
        }
    });
    // A runtime under test that blocked a worker thread (the watchdog already failed
    // its case) must not keep the process from exiting.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(code) => code,
        // A reader that stops early (`| head`) is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) if e.is::<Usage>() => {
            eprintln!("error: {}", one_line(&e.to_string()));
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

/// A message on one line, whatever an error's own rendering spreads over several.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// A finished job's exit: 0 if it passed, 1 if it found failures (its report says what).
fn exit_code(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
