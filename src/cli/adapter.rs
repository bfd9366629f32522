//! `lifecycle-kit adapter`: a built-in runtime served over the adapter protocol
//! (conformance/ADAPTER.md) on standard input and output.

use super::subject::{EngineArgs, Job, MakeError, made, with_subject};
use clap::Args;
use lifecycle_conformance::Subject;

#[derive(Args)]
pub(super) struct AdapterArgs {
    /// The runtime to serve: `reference`, `wasmi` or `faulty:NAME`.
    #[arg(long, default_value = "reference")]
    runtime: String,
    #[command(flatten)]
    engine: EngineArgs,
}

pub(super) async fn execute(args: AdapterArgs) -> anyhow::Result<()> {
    with_subject(&args.runtime, args.engine, None, Serve).await
}

/// The chosen runtime behind the adapter protocol, on standard input and output.
struct Serve;

impl Job for Serve {
    type Output = ();
    async fn with<S: Subject, E: MakeError>(
        self,
        make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    ) -> anyhow::Result<()> {
        let stdin = tokio::io::BufReader::new(tokio::io::stdin());
        Ok(lifecycle_conformance::adapter::serve(made(make)?, stdin, tokio::io::stdout()).await?)
    }
}
