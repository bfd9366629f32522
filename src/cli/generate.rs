//! `lifecycle-kit gen`: modules with lifecycle behaviours and misbehaviours, and the
//! outcome the contract requires of each.

use super::{Usage, bad};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["names", "all", "random", "list"])))]
pub(super) struct GenArgs {
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

pub(super) fn execute(args: GenArgs) -> anyhow::Result<()> {
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
