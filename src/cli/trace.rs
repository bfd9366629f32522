//! `lifecycle-kit trace MODULE`: one module through start, messages, health and stop,
//! shown as a timeline or as JSON.

use super::subject::{Job, MakeError, SubjectArgs, made};
use clap::Args;
use lifecycle_conformance::{ModuleSource, Subject, Trace, drive};
use lifecycle_contract::limits::LimitFlags;
use lifecycle_contract::{Abi, Script};
use lifecycle_runtime::{ComponentConfig, Profile};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

pub(super) fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

pub(super) fn default_ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

#[derive(Args)]
pub(super) struct TraceArgs {
    /// A `.wasm` binary, or a `.wat` text file (chosen by extension).
    module: PathBuf,
    #[command(flatten)]
    subject: SubjectArgs,
    /// Feature profile: strict or standard.
    #[arg(long, default_value_t = Profile::Strict)]
    profile: Profile,
    /// The guest interface: `core` (a core module, SPEC.md §3) or `component` (a
    /// component of the WIT world `actor`, §8).
    #[arg(long, default_value_t = Abi::Core)]
    abi: Abi,
    #[command(flatten)]
    limits: LimitFlags,
    /// Wall clock for `_cleanup` during stop.
    #[arg(long, value_name = "N", default_value_t = default_ms(lifecycle_runtime::limits::DEFAULT_STOP_TIMEOUT))]
    stop_timeout_ms: u64,
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
            abi: self.abi,
            profile: self.profile,
            limits: self.limits.limits(),
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

pub(super) async fn execute(args: TraceArgs) -> anyhow::Result<()> {
    let trace = args.subject.with(TraceJob(&args)).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&trace.to_json())?)?;
    } else {
        writeln!(
            out,
            "trace {} (profile {})",
            args.module.display(),
            args.profile
        )?;
        write!(out, "{}", trace.timeline())?;
    }
    Ok(())
}

/// `trace`'s module and script on the chosen runtime.
struct TraceJob<'a>(&'a TraceArgs);

impl Job for TraceJob<'_> {
    type Output = Trace;
    async fn with<S: Subject, E: MakeError>(
        self,
        make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    ) -> anyhow::Result<Trace> {
        let TraceJob(args) = self;
        let subject = made(make)?;
        let module = ModuleSource::File(args.module.clone());
        let ComponentConfig {
            abi,
            profile,
            limits,
        } = args.config();
        let script = args.script();
        Ok(drive::script(&subject, module, abi, profile, limits, &script).await?)
    }
}
