//! `lifecycle-kit soak`: many start / message / stop cycles across misbehaving guests;
//! whether anything stays live or the process grows.

use super::progress_bar;
use super::subject::EngineArgs;
use clap::Args;
use std::io::Write;

#[derive(Args)]
pub(super) struct SoakArgs {
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

pub(super) async fn execute(args: SoakArgs) -> anyhow::Result<bool> {
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
            soak::Misbehaviour::ALL.map(|m| m.as_str()).join(", "),
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
                "at the end:     RSS {:.1} MiB ({:+.0} B a cycle), VmSize {:.1} MiB ({:+.0} B a cycle); at most {} B a cycle",
                mib(end.rss_bytes),
                report.rss_growth_per_cycle.unwrap_or_default(),
                mib(end.vm_size_bytes),
                report.vm_size_growth_per_cycle.unwrap_or_default(),
                soak::LEAK_BYTES_PER_CYCLE
            )?;
        }
        match report.passed() {
            true => writeln!(out, "nothing live, nothing unexpected, no growth: passed")?,
            false => writeln!(out, "FAILED: {}", report.failures.join("; "))?,
        }
    }
    Ok(report.passed())
}
