//! Command-line interface. Errors become messages here and nowhere else.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use lifecycle_conformance::{Capability, ModuleSource, Subject};
use lifecycle_conformance::{Trace, drive};
use lifecycle_contract::Script;
use lifecycle_contract::limits::LimitFlags;
use lifecycle_runtime::engine::wasmtime::config::Allocation;
use lifecycle_runtime::{ComponentConfig, Profile};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
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
    /// Generate modules with lifecycle behaviours and misbehaviours, and their expected outcomes.
    Gen(GenArgs),
    /// Run the conformance suite against a runtime and report a verdict per contract clause.
    Run(RunArgs),
    /// Run the suite against every faulty runtime (needs `--features defects`).
    Mutants(MutantsArgs),
    /// Serve a built-in runtime over the adapter protocol on stdin and stdout.
    Adapter(AdapterArgs),
    /// Measure the runtimes beside bare Wasmtime and an engine-per-start baseline.
    Bench(BenchArgs),
    /// Run many start / message / stop cycles across misbehaving guests; exit 1 if
    /// anything stays live or the process grows.
    Soak(SoakArgs),
    /// Draw random trials, check each against the oracle (or another runtime), and shrink
    /// every failure to a minimal case file; exit 1 if anything failed.
    Fuzz(FuzzArgs),
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("budget").args(["seconds", "cases"])))]
struct FuzzArgs {
    #[command(flatten)]
    subject: SubjectArgs,
    /// Fuzz for this long (default: 200 cases).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    seconds: Option<u64>,
    /// Fuzz this many cases (0: replay the corpus only).
    #[arg(long, value_name = "N")]
    cases: Option<u64>,
    /// The seed every trial is drawn from.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Also compare with this built-in runtime (`reference`, `wasmi`, `faulty:NAME`) on
    /// wasm-smith modules, whose outcome the oracle cannot predict.
    #[arg(long, value_name = "NAME")]
    against: Option<String>,
    /// Write each minimal failure here as a case file, and replay the directory's cases
    /// first.
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// Cases run at once (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    jobs: Option<u64>,
    /// The most time one failure's shrink may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    shrink_secs: u64,
    /// End at the first failure (after shrinking it).
    #[arg(long)]
    stop_at_first: bool,
    /// Known failures: `[[xfail]] signature = "CLAUSE: field..."` (default for a
    /// built-in runtime: its file in conformance/expectations/, if any).
    #[arg(long, value_name = "PATH")]
    expectations: Option<PathBuf>,
    /// Capabilities the run requires (comma-separated, or `all`): a drawn trial that
    /// needs one the runtime does not declare fails the run instead of being counted
    /// unsupported.
    #[arg(long, value_name = "CAPS", value_parser = parse_capabilities)]
    require: Option<BTreeSet<Capability>>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct AdapterArgs {
    /// The runtime to serve: `reference`, `wasmi` or `faulty:NAME`.
    #[arg(long, default_value = "reference")]
    runtime: String,
    #[command(flatten)]
    engine: EngineArgs,
}

/// How the reference runtime allocates instances.
#[derive(Args, Clone, Copy)]
struct EngineArgs {
    /// `pooling` (the default: slots reserved once and reused) or `on-demand`; the
    /// reference runtime and the faulty ones built on it.
    #[arg(long, value_name = "ALLOCATOR", default_value_t = Allocation::default())]
    allocator: Allocation,
}

#[derive(Args)]
struct BenchArgs {
    /// Print the figures as one JSON object.
    #[arg(long)]
    json: bool,
    /// Every figure from few samples, in seconds (what CI runs; the figures mean little).
    #[arg(long)]
    quick: bool,
}

#[derive(Args)]
struct SoakArgs {
    /// Cycles to run (the footprint after the first 1 000 is the baseline).
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    cycles: u64,
    #[command(flatten)]
    engine: EngineArgs,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct MutantsArgs {
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Instead of the suite, fuzz each mutant for this long (to its first failure) and
    /// print the time-to-kill table.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    fuzz_seconds: Option<u64>,
    /// With `--fuzz-seconds`: write each mutant's minimal case into DIR/NAME/.
    #[arg(long, value_name = "DIR", requires = "fuzz_seconds")]
    corpus: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

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

/// The runtime under test, as `run` and `trace` choose it.
#[derive(Args)]
struct SubjectArgs {
    /// The runtime under test: `reference` (Wasmtime), `wasmi`, or `faulty:NAME` (a
    /// mutant; needs a build with `--features defects`).
    #[arg(long, default_value = "reference")]
    runtime: String,
    /// Check the runtime behind this adapter command (program and arguments, split on
    /// spaces) instead of a built-in one; see conformance/ADAPTER.md.
    #[arg(long, value_name = "COMMAND", conflicts_with = "runtime")]
    adapter: Option<String>,
    /// How long an adapter may take to answer one request.
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    adapter_timeout_secs: u64,
    #[command(flatten)]
    engine: EngineArgs,
}

impl SubjectArgs {
    /// Does `job` with the runtime these flags choose.
    async fn with<J: Job>(&self, job: J) -> anyhow::Result<J::Output> {
        let adapter = self
            .adapter
            .as_deref()
            .map(|command| (command, Duration::from_secs(self.adapter_timeout_secs)));
        with_subject(&self.runtime, self.engine, adapter, job).await
    }
}

/// Something to do with a runtime under test, whichever it is. [`Subject`] has an
/// associated type and async methods, so it cannot be a trait object: the choice of
/// runtime is made once, in [`with_subject`], and each job is generic over it.
trait Job {
    type Output;
    /// Does the job with runtimes from `make` (one per case for the suite).
    async fn with<S: Subject>(
        self,
        make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    ) -> anyhow::Result<Self::Output>;
}

/// Does `job` with the runtime named `runtime` (`reference`, `wasmi` or `faulty:NAME`),
/// or with the one behind `adapter` (its command, and how long an answer may take).
async fn with_subject<J: Job>(
    runtime: &str,
    engine: EngineArgs,
    adapter: Option<(&str, Duration)>,
    job: J,
) -> anyhow::Result<J::Output> {
    if let Some((command, timeout)) = adapter {
        let words: Vec<String> = command.split_whitespace().map(String::from).collect();
        return job
            .with(move || lifecycle_conformance::adapter::Adapter::connect(&words, timeout))
            .await
            .map_err(|e| match e.downcast::<CannotCreate>() {
                // It does not start or greet: the command is no adapter, and nothing can
                // be judged, as with an unknown `--runtime`. (An adapter that breaks the
                // protocol later is the runtime under test failing: not bad input.)
                Ok(why) => bad(format!("--adapter `{command}`: {why}")),
                Err(e) => e,
            });
    }
    match runtime {
        "reference" => {
            let allocation = engine.allocator;
            job.with(move || lifecycle_runtime::runtimes::reference_on(allocation))
                .await
        }
        "wasmi" => job.with(lifecycle_runtime::runtimes::wasmi).await,
        other => match other.strip_prefix("faulty:") {
            Some(name) => with_faulty(name, engine, job).await,
            None => Err(Usage(format!(
                "unknown runtime `{other}` (expected `reference`, `wasmi` or `faulty:NAME`)"
            ))
            .into()),
        },
    }
}

/// A mutant: the faulty runtime called `name` (a build with `--features defects` only).
async fn with_faulty<J: Job>(name: &str, engine: EngineArgs, job: J) -> anyhow::Result<J::Output> {
    #[cfg(feature = "defects")]
    return job
        .with(lifecycle_kit::mutants::named(name, engine.allocator).map_err(Usage)?)
        .await;
    #[cfg(not(feature = "defects"))]
    {
        let _ = (name, engine, job);
        Err(Usage(NO_MUTANTS.into()).into())
    }
}

/// A subject made once, or why it could not be.
fn made<S>(make: impl Fn() -> Result<S, String>) -> anyhow::Result<S> {
    Ok(make().map_err(CannotCreate)?)
}

/// The runtime under test could not be made: bad input where it is an adapter command
/// (see [`with_subject`]), else a failure of this machine (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("cannot create the runtime under test: {0}")]
struct CannotCreate(String);

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    subject: SubjectArgs,
    /// Only cases whose id equals PATTERN, or else whose id or clause contains it.
    #[arg(long, value_name = "PATTERN")]
    filter: Option<String>,
    /// Only shard K of N (by a stable hash of the case id), for splitting CI jobs.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
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

/// `fuel,timeouts` or `all`.
fn parse_capabilities(s: &str) -> Result<BTreeSet<Capability>, String> {
    if s == "all" {
        return Ok(Capability::ALL.into_iter().collect());
    }
    s.split(',').map(|c| c.trim().parse()).collect()
}

/// A word as the shell reads it back: bare when safe, else in single quotes.
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl SubjectArgs {
    /// The flags that choose this runtime, as a command line repeats them.
    fn flags(&self) -> Vec<String> {
        let mut words = Vec::new();
        let mut flag = |name: &str, value: String| {
            words.push(format!("--{name}"));
            words.push(shell_quote(&value));
        };
        match &self.adapter {
            Some(command) => {
                flag("adapter", command.clone());
                if self.adapter_timeout_secs != 30 {
                    flag(
                        "adapter-timeout-secs",
                        self.adapter_timeout_secs.to_string(),
                    );
                }
            }
            None => flag("runtime", self.runtime.clone()),
        }
        if self.engine.allocator != Allocation::default() {
            flag("allocator", self.engine.allocator.to_string());
        }
        words
    }
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

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["names", "all", "random", "list"])))]
struct GenArgs {
    /// Catalogue names (see --list) or `random-SEED`.
    names: Vec<String>,
    /// Every catalogue scenario.
    #[arg(long)]
    all: bool,
    /// A seeded family of `--count` scenarios.
    #[arg(long, value_name = "SEED")]
    random: Option<u64>,
    /// How many scenarios `--random` draws [default: 100].
    // Checked in `run_gen`: clap's `requires` lets it pass beside catalogue names.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    count: Option<u32>,
    /// Print the catalogue: name, clause, description.
    #[arg(long, conflicts_with_all = ["names", "all", "random", "out"])]
    list: bool,
    /// Directory to write NAME.wasm, NAME.wat and NAME.json into (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present = "list")]
    out: Option<PathBuf>,
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
    #[command(flatten)]
    subject: SubjectArgs,
    /// Feature profile: strict or standard.
    #[arg(long, default_value_t = Profile::Strict)]
    profile: Profile,
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

/// Bad input found after parsing, like clap's own errors: a flag's value, a file or
/// directory a flag names (a cases directory, an expectations file, an output path), an
/// adapter command that does not start or greet. One line naming what and where, exit 2,
/// before anything is written. (A module `trace` is given is not checked here: a module
/// that cannot be read is the runtime's `component_not_found`, LC-START-1.)
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

fn bad(why: impl std::fmt::Display) -> anyhow::Error {
    Usage(why.to_string()).into()
}

/// An output file written whole or not at all: created beside its place
/// (`PATH.tmp-PID`) before the work begins, so that a place it cannot be written is bad
/// input found before anything runs, and renamed into place once complete. Dropped
/// before that, it is removed.
struct Staged {
    path: PathBuf,
    temporary: PathBuf,
    file: Option<std::fs::File>,
}

impl Staged {
    /// `flag` names the file in messages.
    fn create(flag: &str, path: &Path) -> anyhow::Result<Staged> {
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

    fn commit(mut self, contents: &[u8]) -> anyhow::Result<()> {
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

fn run_gen(args: GenArgs) -> anyhow::Result<()> {
    use lifecycle_generators::{artifacts, catalogue, random};
    if args.list {
        let mut out = std::io::stdout().lock();
        for s in catalogue::catalogue() {
            writeln!(out, "{:<48} {:<44} {}", s.name, s.clause, s.description)?;
        }
        return Ok(());
    }
    if args.count.is_some() && args.random.is_none() {
        return Err(bad("--count is for --random SEED only"));
    }
    let scenarios = if args.all {
        catalogue::catalogue()
    } else if let Some(seed) = args.random {
        random::family(seed, args.count.unwrap_or(100) as usize)
    } else {
        let unknown: Vec<&str> = args
            .names
            .iter()
            .filter(|n| lifecycle_generators::find(n).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(Usage(format!(
                "no scenario named {} (see `lifecycle-kit gen --list`; seeded ones are `random-SEED`)",
                unknown.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ))
            .into());
        }
        args.names
            .iter()
            .filter_map(|n| lifecycle_generators::find(n))
            .collect()
    };
    let out = args.out.expect("clap requires --out here");
    // All or nothing: every file is made before any is written.
    let files = artifacts::write_all(&scenarios, &out)
        .map_err(|e| match e {
            artifacts::WriteError::Ambiguous { .. } => anyhow::Error::from(e),
            e => bad(format!("--out: {e}")),
        })?
        .len();
    eprintln!(
        "wrote {} scenario(s), {files} files, to {}",
        scenarios.len(),
        out.display()
    );
    Ok(())
}

async fn run_suite(args: RunArgs) -> anyhow::Result<bool> {
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
    let report = args.subject.with(Suite { cases, options }).await?;
    write_report(&args, &report, junit)
}

/// The suite over the chosen runtime, a fresh one per case.
struct Suite {
    cases: Vec<lifecycle_conformance::Case>,
    options: lifecycle_conformance::RunOptions,
}

impl Job for Suite {
    type Output = lifecycle_conformance::RunReport;
    async fn with<S: Subject>(
        self,
        make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    ) -> anyhow::Result<Self::Output> {
        // A runtime that cannot be made at all leaves no run to report: an error.
        let ((runtime, version), results) =
            lifecycle_conformance::runner::run(make, self.cases, self.options)
                .await
                .map_err(CannotCreate)?;
        Ok(lifecycle_conformance::RunReport {
            runtime,
            version,
            results,
            setup_error: None,
        })
    }
}

fn write_report(
    args: &RunArgs,
    report: &lifecycle_conformance::RunReport,
    junit: Option<Staged>,
) -> anyhow::Result<bool> {
    if let Some(junit) = junit {
        junit.commit(report.junit().as_bytes())?;
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Human => write!(out, "{}", report.human())?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report.json())?)?,
    }
    Ok(!report.failed())
}

async fn run_adapter(args: AdapterArgs) -> anyhow::Result<()> {
    with_subject(&args.runtime, args.engine, None, Serve).await
}

/// The chosen runtime behind the adapter protocol, on standard input and output.
struct Serve;

impl Job for Serve {
    type Output = ();
    async fn with<S: Subject>(
        self,
        make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    ) -> anyhow::Result<()> {
        let stdin = tokio::io::BufReader::new(tokio::io::stdin());
        Ok(lifecycle_conformance::adapter::serve(made(make)?, stdin, tokio::io::stdout()).await?)
    }
}

#[cfg(not(feature = "defects"))]
const NO_MUTANTS: &str = "this build has no faulty runtimes: build with `--features defects` (cargo run --release --features defects -- mutants)";

#[cfg(feature = "defects")]
async fn run_mutants(args: MutantsArgs) -> anyhow::Result<bool> {
    use lifecycle_conformance::case;
    if let Some(seconds) = args.fuzz_seconds {
        return fuzz_mutants(seconds, args.corpus.as_deref(), args.format);
    }
    let cases = case::load_dir(&case::builtin_dir())?;
    let results = lifecycle_kit::mutants::run(&cases, &lifecycle_kit::mutants::options()).await;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Human => write!(out, "{}", lifecycle_kit::mutants::human(&results))?,
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&lifecycle_kit::mutants::json(&results))?
        )?,
    }
    Ok(results.iter().all(|r| !r.killed_by.is_empty()))
}

/// `fuzz --runtime faulty:NAME --seconds SECONDS --stop-at-first` for every mutant, each
/// in a process of its own: a mutant may leave a guest spinning on a thread no deadline
/// interrupts, which must not slow the next one down.
#[cfg(feature = "defects")]
fn fuzz_mutants(
    seconds: u64,
    corpus: Option<&std::path::Path>,
    format: Format,
) -> anyhow::Result<bool> {
    use lifecycle_kit::mutants::{Defect, FuzzKill, fuzz_table};
    let exe = std::env::current_exe().context("cannot find this program to run it again")?;
    let bar = progress_bar(
        Defect::ALL.len() as u64,
        "{bar:30} {pos}/{len} fuzzing {msg} ({elapsed})",
    );
    let mut kills = Vec::new();
    for defect in Defect::ALL {
        bar.set_message(defect.name());
        let mut command = std::process::Command::new(&exe);
        command.args(["fuzz", "--runtime", &format!("faulty:{}", defect.name())]);
        command.args([
            "--seconds",
            &seconds.to_string(),
            "--stop-at-first",
            "--json",
        ]);
        command.args(["--shrink-secs", "60"]);
        if let Some(dir) = corpus {
            command.arg("--corpus").arg(dir.join(defect.name()));
        }
        let out = command
            .stderr(std::process::Stdio::null())
            .output()
            .with_context(|| format!("cannot run fuzz on {}", defect.name()))?;
        let report = serde_json::from_slice(&out.stdout)
            .with_context(|| format!("fuzz on {} printed no report", defect.name()))?;
        kills.push(FuzzKill::from_report(defect.name(), report));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Human => write!(out, "{}", fuzz_table(&kills, seconds))?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&kills)?)?,
    }
    Ok(kills.iter().all(|k| k.found.is_some()))
}

#[cfg(not(feature = "defects"))]
async fn run_mutants(_: MutantsArgs) -> anyhow::Result<bool> {
    Err(Usage(NO_MUTANTS.into()).into())
}

async fn run_trace(args: TraceArgs) -> anyhow::Result<()> {
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
    async fn with<S: Subject>(
        self,
        make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    ) -> anyhow::Result<Trace> {
        let TraceJob(args) = self;
        let subject = made(make)?;
        let module = ModuleSource::File(args.module.clone());
        let ComponentConfig { profile, limits } = args.config();
        Ok(drive::script(&subject, module, profile, limits, &args.script()).await?)
    }
}

/// A progress bar on standard error, drawn only where a person watches it.
fn progress_bar(len: u64, template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

async fn run_bench(args: BenchArgs) -> anyhow::Result<()> {
    use lifecycle_kit::bench;
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
    let mut out = std::io::stdout().lock();
    match args.json {
        true => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        false => write!(out, "{report}")?,
    }
    Ok(())
}

async fn run_soak(args: SoakArgs) -> anyhow::Result<bool> {
    use lifecycle_kit::soak;
    let runtime = lifecycle_runtime::runtimes::reference_on(args.engine.allocator)
        .map_err(|why| anyhow::anyhow!("cannot create the runtime: {why}"))?;
    let bar = progress_bar(args.cycles, "{bar:30} {pos}/{len} cycles {msg} ({elapsed})");
    let report = soak::run(&runtime, args.cycles, &mut |p| {
        bar.set_position(p.cycles);
        if p.cycles % 100 == 0 {
            bar.set_message(format!(
                "live {} · memory {} B · unexpected {} · pooled instances {}",
                p.live_instances,
                p.accounted_memory_bytes,
                p.unexpected,
                p.pool_instances_in_use
                    .map_or("-".into(), |n| n.to_string())
            ));
        }
    })
    .await;
    bar.finish_and_clear();
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        let p = &report.progress;
        let mib = |b: u64| b as f64 / (1 << 20) as f64;
        writeln!(
            out,
            "cycles {} ({}; and one long-lived component served every cycle), allocator {}",
            p.cycles,
            soak::Misbehaviour::ALL.map(|m| m.name()).join(", "),
            report.allocation
        )?;
        writeln!(
            out,
            "live instances {} (at most {} after a cycle) · accounted memory {} B · unexpected outcomes {}",
            p.live_instances, p.max_live_after_a_cycle, p.accounted_memory_bytes, p.unexpected
        )?;
        if let (Some(i), Some(m), Some(r)) = (
            p.pool_instances_in_use,
            p.pool_memories_in_use,
            p.pool_warm_memory_bytes_resident,
        ) {
            writeln!(
                out,
                "pool: {i} instances and {m} memories in use, {r} B resident in warm slots"
            )?;
        }
        if let (Some(base), Some(end)) = (report.baseline, report.end) {
            writeln!(
                out,
                "after {} cycles: RSS {:.1} MiB, VmSize {:.1} MiB",
                soak::BASELINE_CYCLES,
                mib(base.rss_bytes),
                mib(base.vm_size_bytes)
            )?;
            writeln!(
                out,
                "at the end:     RSS {:.1} MiB ({:+.2} %), VmSize {:.1} MiB ({:+.2} %)",
                mib(end.rss_bytes),
                report.rss_growth.unwrap_or_default() * 100.0,
                mib(end.vm_size_bytes),
                report.vm_size_growth.unwrap_or_default() * 100.0
            )?;
        }
        match report.passed() {
            true => writeln!(out, "nothing live, nothing unexpected, no growth: passed")?,
            false => writeln!(out, "FAILED: {}", report.failures.join("; "))?,
        }
    }
    Ok(report.passed())
}

async fn run_fuzz(args: FuzzArgs) -> anyhow::Result<bool> {
    use lifecycle_conformance::fuzz::{Budget, FuzzOptions};
    let mut fuzz_command = vec!["lifecycle-kit".to_string(), "fuzz".into()];
    fuzz_command.extend(args.subject.flags());
    fuzz_command.extend(["--seed".into(), args.seed.to_string()]);
    if let Some(against) = &args.against {
        fuzz_command.extend(["--against".into(), shell_quote(against)]);
    }
    let mut run_command = vec!["lifecycle-kit".to_string(), "run".into()];
    run_command.extend(args.subject.flags());
    let mut options = FuzzOptions {
        seed: args.seed,
        budget: match (args.seconds, args.cases) {
            (Some(s), _) => Budget::Time(Duration::from_secs(s)),
            (None, Some(n)) => Budget::Cases(n),
            (None, None) => Budget::Cases(200),
        },
        corpus: args.corpus.clone(),
        stop_at_first: args.stop_at_first,
        shrink_time: Duration::from_secs(args.shrink_secs),
        run_command: run_command.join(" "),
        fuzz_command: fuzz_command.join(" "),
        require: args.require.clone().unwrap_or_default(),
        ..FuzzOptions::default()
    };
    if let Some(jobs) = args.jobs {
        options.jobs = jobs as usize;
    }
    let expectations = args.expectations.clone().or_else(|| {
        lifecycle_conformance::case::builtin_expectations(&args.subject.runtime)
            .filter(|_| args.subject.adapter.is_none())
    });
    if let Some(path) = expectations {
        options.expectations = lifecycle_conformance::Expectations::load(&path).map_err(bad)?;
    }
    if let Some(dir) = &args.corpus {
        // A corpus that cannot be read, or is no directory, is bad input, found before
        // anything runs.
        if dir.exists() && !dir.is_dir() {
            return Err(bad(format!("--corpus {}: not a directory", dir.display())));
        }
        lifecycle_conformance::fuzz::corpus::load(dir).map_err(bad)?;
    }
    let job = FuzzJob {
        options,
        against: args.against.clone(),
        engine: args.subject.engine,
    };
    let report = args.subject.with(job).await?;
    let mut out = std::io::stdout().lock();
    match args.json {
        true => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        false => write!(out, "{}", report.human())?,
    }
    Ok(!report.failed())
}

/// `fuzz` on the chosen runtime, and beside the `--against` one if given.
struct FuzzJob {
    options: lifecycle_conformance::fuzz::FuzzOptions,
    against: Option<String>,
    engine: EngineArgs,
}

impl Job for FuzzJob {
    type Output = lifecycle_conformance::fuzz::FuzzReport;
    async fn with<S: Subject>(
        self,
        make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    ) -> anyhow::Result<Self::Output> {
        match self.against.clone() {
            Some(name) => {
                let engine = self.engine;
                with_subject(
                    &name,
                    engine,
                    None,
                    Against {
                        fuzz: self,
                        make,
                        name: name.clone(),
                    },
                )
                .await
            }
            None => {
                let none: lifecycle_conformance::fuzz::Alone<S> = None;
                fuzz_with(make, none, &self.options).await
            }
        }
    }
}

/// The fuzz job, given the runtime under test, with the one to compare it with.
struct Against<M> {
    fuzz: FuzzJob,
    make: M,
    name: String,
}

impl<S: Subject, M: Fn() -> Result<S, String> + Send + Sync + 'static> Job for Against<M> {
    type Output = lifecycle_conformance::fuzz::FuzzReport;
    async fn with<T: Subject>(
        self,
        other: impl Fn() -> Result<T, String> + Send + Sync + 'static,
    ) -> anyhow::Result<Self::Output> {
        fuzz_with(self.make, Some((other, self.name)), &self.fuzz.options).await
    }
}

/// Fuzzes with a progress line on standard error where a person watches it.
async fn fuzz_with<S: Subject, T: Subject>(
    make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    against: Option<(
        impl Fn() -> Result<T, String> + Send + Sync + 'static,
        String,
    )>,
    options: &lifecycle_conformance::fuzz::FuzzOptions,
) -> anyhow::Result<lifecycle_conformance::fuzz::FuzzReport> {
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    let report = lifecycle_conformance::fuzz::fuzz(make, against, options, &mut |s| {
        let secs = s.elapsed.as_secs_f64();
        bar.set_message(format!(
            "{} cases · {:.0}/s · {} failure(s) · {:.0} s",
            s.cases,
            s.cases as f64 / secs.max(0.001),
            s.failures,
            secs
        ));
        bar.tick();
    })
    .await;
    bar.finish_and_clear();
    report.map_err(|e| match e {
        lifecycle_conformance::fuzz::FuzzError::Runtime(why) => CannotCreate(why).into(),
        lifecycle_conformance::fuzz::FuzzError::Corpus(e) => bad(e),
        e => e.into(),
    })
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
            Command::Trace(args) => run_trace(args).await.map(|()| ExitCode::SUCCESS),
            Command::Gen(args) => run_gen(args).map(|()| ExitCode::SUCCESS),
            // The suite ran: exit 1 if anything failed (the report says what).
            Command::Run(args) => run_suite(args).await.map(|passed| {
                if passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
            // Exit 1 if any mutant survived.
            Command::Mutants(args) => run_mutants(args).await.map(|all_killed| {
                if all_killed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
            Command::Adapter(args) => run_adapter(args).await.map(|()| ExitCode::SUCCESS),
            Command::Bench(args) => run_bench(args).await.map(|()| ExitCode::SUCCESS),
            // Exit 1 if anything stayed live or grew.
            Command::Soak(args) => run_soak(args).await.map(|passed| {
                if passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
            // Exit 1 if anything failed.
            Command::Fuzz(args) => run_fuzz(args).await.map(|passed| {
                if passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
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
