//! Command-line interface. Errors become messages here and nowhere else.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use lifecycle_kit::trace::{self, Script};
use lifecycle_kit::{ComponentConfig, Limits, ModuleSource, Profile, Runtime};
use std::path::PathBuf;
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
    Trace(TraceArgs),
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn default_ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

#[derive(Args)]
struct TraceArgs {
    /// A `.wasm` binary, or a `.wat` text file (chosen by extension).
    module: PathBuf,
    /// Feature profile: strict or standard.
    #[arg(long, default_value_t = Profile::Strict)]
    profile: Profile,
    /// Largest linear memory, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_memory_bytes)]
    max_memory: u64,
    /// Largest table, in elements.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_table_elements)]
    max_table_elements: u64,
    /// Fuel for each guest call, refilled before every call.
    #[arg(long, value_name = "N", default_value_t = Limits::default().fuel_per_call)]
    fuel: u64,
    /// Wall clock for instantiate + `_start`.
    #[arg(long, value_name = "N", default_value_t = default_ms(Limits::default().start_timeout))]
    start_timeout_ms: u64,
    /// Wall clock for one message (`alloc` + `handle-message`).
    #[arg(long, value_name = "N", default_value_t = default_ms(Limits::default().call_timeout))]
    call_timeout_ms: u64,
    /// Wall clock for `_health`.
    #[arg(long, value_name = "N", default_value_t = default_ms(Limits::default().health_timeout))]
    health_timeout_ms: u64,
    /// Wall clock for `_cleanup` during stop.
    #[arg(long, value_name = "N", default_value_t = default_ms(lifecycle_kit::limits::DEFAULT_STOP_TIMEOUT))]
    stop_timeout_ms: u64,
    /// Largest message and reply, in bytes.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_message_bytes)]
    max_message_bytes: u64,
    /// Send this message (its UTF-8 bytes) after start; repeat for more, sent in order.
    #[arg(long, value_name = "TEXT")]
    send: Vec<String>,
    /// Check health after the messages.
    #[arg(long)]
    health: bool,
    /// Print one JSON object instead of a timeline.
    #[arg(long)]
    json: bool,
}

impl TraceArgs {
    fn config(&self) -> ComponentConfig {
        ComponentConfig {
            profile: self.profile,
            limits: Limits {
                max_memory_bytes: self.max_memory,
                max_table_elements: self.max_table_elements,
                fuel_per_call: self.fuel,
                start_timeout: millis(self.start_timeout_ms),
                call_timeout: millis(self.call_timeout_ms),
                health_timeout: millis(self.health_timeout_ms),
                max_message_bytes: self.max_message_bytes,
            },
        }
    }

    fn script(&self) -> Script {
        Script {
            messages: self.send.iter().map(|m| m.as_bytes().to_vec()).collect(),
            health: self.health,
            stop_timeout: millis(self.stop_timeout_ms),
        }
    }
}

async fn run_trace(args: TraceArgs) -> anyhow::Result<()> {
    let runtime = Runtime::new().context("cannot create the reference runtime")?;
    let source = ModuleSource::file(&args.module);
    let trace = trace::run(&runtime, source, args.config(), &args.script()).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&trace.to_json())?);
    } else {
        println!("trace {} (profile {})", args.module.display(), args.profile);
        print!("{}", trace.timeline());
    }
    Ok(())
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let line = rendered.lines().next().unwrap_or("error: bad arguments");
            eprintln!("{line} (see `lifecycle-kit --help`)");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Trace(args) => run_trace(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
