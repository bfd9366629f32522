//! `lifecycle-kit mutants`: the suite (or the fuzzer) against every faulty runtime; every
//! mutant must be killed. The faulty runtimes exist only in a build with `--features
//! defects`.

use super::Format;
#[cfg(not(feature = "defects"))]
use super::Usage;
#[cfg(feature = "defects")]
use super::progress_bar;
#[cfg(feature = "defects")]
use anyhow::Context;
use clap::Args;
#[cfg(feature = "defects")]
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct MutantsArgs {
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
    /// Only this mutant (repeat for more); every mutant without it.
    #[arg(long = "mutant", value_name = "NAME")]
    mutants: Vec<String>,
}

#[cfg(not(feature = "defects"))]
pub(super) const NO_MUTANTS: &str = "this build has no faulty runtimes: build with `--features defects` (cargo run --release --features defects -- mutants)";

#[cfg(feature = "defects")]
pub(super) async fn execute(args: MutantsArgs) -> anyhow::Result<bool> {
    use lifecycle_conformance::case;
    use lifecycle_kit::mutants::Defect;
    let defects: Vec<Defect> = match args.mutants.is_empty() {
        true => Defect::ALL.to_vec(),
        false => args
            .mutants
            .iter()
            .map(|name| name.parse())
            .collect::<Result<_, _>>()
            .map_err(super::bad)?,
    };
    if let Some(seconds) = args.fuzz_seconds {
        return fuzz_mutants(&defects, seconds, args.corpus.as_deref(), args.format);
    }
    // Both ABIs: the component forms of the core cases catch the component mutants.
    let (cases, _) = case::on_abis(case::load_dir(&case::builtin_dir())?, case::AbiChoice::All);
    let results =
        lifecycle_kit::mutants::run(&defects, &cases, &lifecycle_kit::mutants::options()).await;
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

/// `fuzz --runtime faulty:NAME --seconds SECONDS --stop-at-first` for each mutant, each
/// in a process of its own: a mutant may leave a guest spinning on a thread no deadline
/// interrupts, which must not slow the next one down.
#[cfg(feature = "defects")]
fn fuzz_mutants(
    defects: &[lifecycle_kit::mutants::Defect],
    seconds: u64,
    corpus: Option<&std::path::Path>,
    format: Format,
) -> anyhow::Result<bool> {
    use lifecycle_kit::mutants::{FuzzKill, fuzz_table};
    let exe = std::env::current_exe().context("cannot find this program to run it again")?;
    let bar = progress_bar(
        defects.len() as u64,
        "{bar:30} {pos}/{len} fuzzing {msg} ({elapsed})",
    );
    let mut kills = Vec::new();
    for defect in defects {
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
pub(super) async fn execute(_: MutantsArgs) -> anyhow::Result<bool> {
    Err(Usage(NO_MUTANTS.into()).into())
}
