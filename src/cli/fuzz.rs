//! `lifecycle-kit fuzz`: random trials against the oracle (or another runtime), every
//! failure shrunk to a minimal case file.

use super::subject::{
    CannotCreate, EngineArgs, Job, MakeError, SubjectArgs, parse_capabilities, with_subject,
};
use super::{Usage, bad};
use crate::cli::shell_quote;
use clap::Args;
use lifecycle_conformance::fuzz::input::{Input, Target};
use lifecycle_conformance::{Capability, Subject};
use lifecycle_contract::Abi;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
#[command(group(clap::ArgGroup::new("budget").args(["seconds", "cases"])))]
pub(super) struct FuzzArgs {
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
    /// The guest interface the trials run through: `core`, or `component` (each trial as
    /// the component of its spec; wasm-smith modules and trials with no component form
    /// are set aside).
    #[arg(long, value_name = "ABI", default_value_t = Abi::Core)]
    abi: Abi,
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
    /// Import a crash of a libFuzzer target (fuzz/): run the input it crashed on, and if
    /// it fails here, shrink it and write it to --corpus as a case, as fuzzing does.
    #[arg(long, value_name = "CRASH",
          conflicts_with_all = ["seconds", "cases", "seed", "against", "stop_at_first", "libfuzzer_inputs"])]
    import: Option<PathBuf>,
    /// The target that wrote CRASH: `trial` (the default) or `smith`.
    #[arg(long, value_name = "TARGET", requires = "import")]
    fuzz_target: Option<Target>,
    /// Also write each drawn trial here as the input of the libFuzzer target that draws
    /// it (DIR/trial/seed-HEX, DIR/smith/seed-HEX): the seed corpus of fuzz/.
    #[arg(long, value_name = "DIR")]
    libfuzzer_inputs: Option<PathBuf>,
}

pub(super) async fn execute(args: FuzzArgs) -> anyhow::Result<bool> {
    use lifecycle_conformance::fuzz::{Budget, FuzzOptions};
    let mut fuzz_command = vec!["lifecycle-kit".to_string(), "fuzz".into()];
    fuzz_command.extend(args.subject.flags());
    fuzz_command.extend(["--seed".into(), args.seed.to_string()]);
    if args.abi != Abi::Core {
        if args.against.is_some() {
            return Err(Usage(
                "--against compares runtimes on wasm-smith modules, which are core modules: it compares nothing with --abi component".into(),
            )
            .into());
        }
        fuzz_command.extend(["--abi".into(), args.abi.to_string()]);
    }
    if let Some(against) = &args.against {
        fuzz_command.extend(["--against".into(), shell_quote(against)]);
    }
    if args.import.is_some() {
        fuzz_command.truncate(2);
        fuzz_command.extend(args.subject.flags());
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
        abi: args.abi,
        libfuzzer_inputs: args.libfuzzer_inputs.clone(),
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
    if let Some(dir) = &args.libfuzzer_inputs
        && dir.exists()
        && !dir.is_dir()
    {
        return Err(bad(format!(
            "--libfuzzer-inputs {}: not a directory",
            dir.display()
        )));
    }
    let report = match &args.import {
        Some(crash) => {
            let (input, command) = imported(crash, args.fuzz_target, args.abi)?;
            options.fuzz_command = format!("{} {command}", options.fuzz_command);
            let job = ImportJob {
                options,
                input,
                crash: crash.clone(),
            };
            args.subject.with(job).await?
        }
        None => {
            let job = FuzzJob {
                options,
                against: args.against.clone(),
                engine: args.subject.engine,
            };
            args.subject.with(job).await?
        }
    };
    let mut out = std::io::stdout().lock();
    match args.json {
        true => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        false => write!(out, "{}", report.human())?,
    }
    Ok(!report.failed())
}

/// The input in the crash file `crash`, decoded as `target` (default `trial`) does, and
/// the flags that say so; bad input if it is no input of that target (nothing is written).
fn imported(
    crash: &std::path::Path,
    target: Option<Target>,
    abi: Abi,
) -> anyhow::Result<(Input, String)> {
    if abi != Abi::Core {
        return Err(bad(
            "--import: the fuzz targets draw core modules; --abi component imports none",
        ));
    }
    let target = target.unwrap_or(Target::Trial);
    let bytes =
        std::fs::read(crash).map_err(|e| bad(format!("--import {}: {e}", crash.display())))?;
    let input = Input::decode(target, &bytes).map_err(|e| {
        bad(format!(
            "--import {}: not an input of the `{target}` fuzz target: {e}",
            crash.display()
        ))
    })?;
    let file = shell_quote(&crash.display().to_string());
    Ok((input, format!("--import {file} --fuzz-target {target}")))
}

/// `fuzz --import`: the crash's input on the chosen runtime.
struct ImportJob {
    options: lifecycle_conformance::fuzz::FuzzOptions,
    input: Input,
    crash: PathBuf,
}

impl Job for ImportJob {
    type Output = lifecycle_conformance::fuzz::FuzzReport;
    async fn with<S: Subject, E: MakeError>(
        self,
        make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    ) -> anyhow::Result<Self::Output> {
        lifecycle_conformance::fuzz::input::import(make, self.input, &self.crash, &self.options)
            .await
            .map_err(|e| match e {
                lifecycle_conformance::fuzz::FuzzError::Runtime(why) => CannotCreate(why).into(),
                e => e.into(),
            })
    }
}

/// `fuzz` on the chosen runtime, and beside the `--against` one if given.
struct FuzzJob {
    options: lifecycle_conformance::fuzz::FuzzOptions,
    against: Option<String>,
    engine: EngineArgs,
}

impl Job for FuzzJob {
    type Output = lifecycle_conformance::fuzz::FuzzReport;
    async fn with<S: Subject, E: MakeError>(
        self,
        make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
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

impl<S: Subject, E: MakeError, M: Fn() -> Result<S, E> + Send + Sync + 'static> Job for Against<M> {
    type Output = lifecycle_conformance::fuzz::FuzzReport;
    async fn with<T: Subject, F: MakeError>(
        self,
        other: impl Fn() -> Result<T, F> + Send + Sync + 'static,
    ) -> anyhow::Result<Self::Output> {
        fuzz_with(self.make, Some((other, self.name)), &self.fuzz.options).await
    }
}

/// Fuzzes with a progress line on standard error where a person watches it.
async fn fuzz_with<S: Subject, T: Subject, E: MakeError, F: MakeError>(
    make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    against: Option<(impl Fn() -> Result<T, F> + Send + Sync + 'static, String)>,
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
