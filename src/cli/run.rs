//! `lifecycle-kit run`: the conformance suite against a runtime, a verdict per clause;
//! human, JSON and JUnit reports.

use super::output::Staged;
use super::subject::{CannotCreate, Job, MakeError, SubjectArgs, parse_capabilities};
use super::{Format, Usage, bad, shell_quote};
use clap::Args;
use lifecycle_conformance::case::AbiChoice;
use lifecycle_conformance::{Capability, Subject};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// `K/N`: shard K of N, 1-based.
fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (k, n) = s.split_once('/').ok_or("expected K/N, such as 1/4")?;
    let (k, n): (u64, u64) = (
        k.parse().map_err(|_| format!("`{k}` is not a number"))?,
        n.parse().map_err(|_| format!("`{n}` is not a number"))?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard {k}/{n}: K must be between 1 and N"));
    }
    Ok((k, n))
}

#[derive(Args)]
pub(super) struct RunArgs {
    #[command(flatten)]
    subject: SubjectArgs,
    /// Only cases whose id equals PATTERN, or else whose id or clause contains it.
    #[arg(long, value_name = "PATTERN")]
    filter: Option<String>,
    /// Only shard K of N (by a stable hash of the case id), for splitting CI jobs.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
    /// The guest interfaces: `core` (core modules, SPEC.md §3), `component` (components
    /// of the WIT world `actor`, §8: the component cases, and each core case's
    /// component form where it has one, as `ID@component`), or `all`. A runtime that does
    /// not declare `components` reports component cases unsupported.
    #[arg(long, value_name = "ABI", default_value_t = AbiChoice::All)]
    abi: AbiChoice,
    /// Add the seeded random families: 1000 exact cases and 200 wasm-smith ones.
    #[arg(long)]
    extended: bool,
    /// The seed of the extended families.
    #[arg(long, value_name = "SEED", default_value_t = 2026)]
    seed: u64,
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// Also write the conformance matrix of this run here, as one self-contained HTML
    /// page (`report --html` shows several runs side by side).
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,
    /// Cases directory (default: the built-in cases), or one case file (a corpus case,
    /// say), which need not cover every clause.
    #[arg(long, value_name = "PATH")]
    cases: Option<PathBuf>,
    /// Expected failures of this runtime: `[[xfail]] case = "ID" reason = "..."` (default
    /// for a built-in runtime: its file in conformance/expectations/, if any).
    #[arg(long, value_name = "PATH")]
    expectations: Option<PathBuf>,
    /// Cases run at once (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// A case still running after this many seconds fails.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    watchdog_secs: u64,
    /// Capabilities the run requires (comma-separated, or `all`): a case that needs one
    /// the runtime does not declare fails instead of being unsupported.
    #[arg(long, value_name = "CAPS", value_parser = parse_capabilities)]
    require: Option<BTreeSet<Capability>>,
}

impl RunArgs {
    /// The command that repeats this run exactly, but for `--filter`: every case's
    /// reproduce line is this plus `--filter ID`.
    fn repro_command(&self) -> String {
        let mut words = vec!["lifecycle-kit".to_string(), "run".into()];
        words.extend(self.subject.flags());
        let mut flag = |name: &str, value: Option<String>| {
            words.push(format!("--{name}"));
            words.extend(value.map(|v| shell_quote(&v)));
        };
        let absolute = |p: &PathBuf| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        };
        if let Some(dir) = &self.cases {
            flag("cases", Some(absolute(dir)));
        }
        if self.abi != AbiChoice::default() {
            flag("abi", Some(self.abi.to_string()));
        }
        if self.extended {
            flag("extended", None);
            flag("seed", Some(self.seed.to_string()));
        }
        if let Some(path) = &self.expectations {
            flag("expectations", Some(absolute(path)));
        }
        if let Some(require) = &self.require {
            let names: Vec<&str> = require.iter().map(|c| c.as_str()).collect();
            flag("require", Some(names.join(",")));
        }
        if self.watchdog_secs != 60 {
            flag("watchdog-secs", Some(self.watchdog_secs.to_string()));
        }
        words.join(" ")
    }
}

pub(super) async fn execute(args: RunArgs) -> anyhow::Result<bool> {
    use lifecycle_conformance::{Expectations, RunOptions, case, runner};
    use std::io::IsTerminal;
    let dir = args.cases.clone().unwrap_or_else(case::builtin_dir);
    let loaded = match dir.is_file() {
        true => case::load_file(&dir),
        false => case::load_dir(&dir),
    };
    let mut cases = loaded.map_err(|e| match e {
        lifecycle_conformance::CaseError::Uncovered { .. } => {
            bad(format!("--cases {}: {e}", dir.display()))
        }
        e => bad(e),
    })?;
    if args.extended {
        cases.extend(case::extended(args.seed, 1000));
    }
    let (cases, without_component_form) = case::on_abis(cases, args.abi);
    if without_component_form > 0 {
        tracing::info!(
            "{without_component_form} core case(s) have no component form (a core ABI structure, a hand-written module, or an outcome the oracle does not model on components)"
        );
    }
    let cases = runner::select(cases, args.filter.as_deref(), args.shard);
    if cases.is_empty() {
        let what = match (&args.filter, args.shard) {
            (Some(f), _) => format!("the filter `{f}` selects no case"),
            (None, Some((k, n))) => format!("shard {k}/{n} holds no case"),
            (None, None) => format!("{} holds no case", dir.display()),
        };
        return Err(Usage(format!(
            "{what} (case ids and clause ids: `lifecycle-kit run --format json`; the extended families need `--extended`)"
        ))
        .into());
    }
    // A built-in runtime's known differences apply unless other expectations are given.
    let expectations = match args
        .expectations
        .clone()
        .or_else(|| case::builtin_expectations(&args.subject.runtime))
    {
        Some(path) => Expectations::load(&path).map_err(bad)?,
        None => Expectations::default(),
    };
    let mut options = RunOptions {
        watchdog: Duration::from_secs(args.watchdog_secs),
        expectations,
        require: args.require.clone().unwrap_or_default(),
        repro_command: Some(args.repro_command()),
        progress: std::io::stderr().is_terminal(),
        ..RunOptions::default()
    };
    if let Some(jobs) = args.jobs {
        options.jobs = jobs.into();
    }
    // Where the report cannot be written is found before anything runs.
    let junit = match &args.junit {
        Some(path) => Some(Staged::create("--junit", path)?),
        None => None,
    };
    let html = match &args.html {
        Some(path) => Some(Staged::create_page("--html", path)?),
        None => None,
    };
    let mut meta = lifecycle_conformance::RunMeta::now();
    meta.abi = args.abi.to_string();
    meta.seed = args.extended.then_some(args.seed);
    meta.shard = args
        .shard
        .map(|(k, n)| lifecycle_conformance::report::document::Shard { k, n });
    meta.filter = args.filter.clone();
    let suite = Suite {
        cases,
        options,
        meta,
    };
    let report = args.subject.with(suite).await?;
    write_report(&args, &report, junit, html)
}

/// The suite over the chosen runtime, a fresh one per case.
struct Suite {
    cases: Vec<lifecycle_conformance::Case>,
    options: lifecycle_conformance::RunOptions,
    meta: lifecycle_conformance::RunMeta,
}

impl Job for Suite {
    type Output = lifecycle_conformance::RunReport;
    async fn with<S: Subject, E: MakeError>(
        self,
        make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    ) -> anyhow::Result<Self::Output> {
        // A runtime that cannot be made at all leaves no run to report: an error.
        let ((runtime, version), results) =
            lifecycle_conformance::runner::run(make, self.cases, self.options)
                .await
                .map_err(|e| CannotCreate(e.to_string()))?;
        Ok(lifecycle_conformance::RunReport {
            runtime,
            version,
            results,
            setup_error: None,
            meta: self.meta,
        })
    }
}

fn write_report(
    args: &RunArgs,
    report: &lifecycle_conformance::RunReport,
    junit: Option<Staged>,
    html: Option<Staged>,
) -> anyhow::Result<bool> {
    if let Some(junit) = junit {
        junit.commit(report.junit().as_bytes())?;
    }
    if let Some(html) = html {
        html.commit(report.html().as_bytes())?;
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Human => write!(out, "{}", report.human())?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report.json())?)?,
    }
    Ok(!report.failed())
}
