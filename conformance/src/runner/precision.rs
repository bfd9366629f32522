//! LC-LIMIT-7 over a whole case of `timing = "precise"`: how late its timeouts fire,
//! judged against the contract's precision plus the scheduling delay this machine shows
//! meanwhile ([`DelayProbe`]).
//!
//! Invariant: a busy machine only ever delays a timeout, so the judgement is on the
//! lower quartile of the lateness, less the runtime's own cost of an operation.

use super::RunOptions;
use super::judge::TimedOut;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// LC-LIMIT-7: how late a case's timeouts fire, less the runtime's own cost of an
/// operation (its fastest operation that did not time out), judged on the lower
/// quartile of at least three of them (the second smallest of five): a busy machine only
/// ever delays a timeout, so one that is on time some of the time is on time, while a
/// timer that is late every time is late here. It must be within the contract's
/// precision plus the scheduling delay measured beside the case.
pub(super) fn precision_problem(
    timed_out: &[TimedOut],
    overhead: Duration,
    noise: Duration,
    options: &RunOptions,
) -> Option<String> {
    const SAMPLES: usize = 3;
    if timed_out.len() < SAMPLES {
        return Some(format!(
            "LC-LIMIT-7: a precise-timing case needs at least {SAMPLES} timeouts to judge, and {} fired",
            timed_out.len()
        ));
    }
    let overhead = if overhead == Duration::MAX {
        Duration::ZERO
    } else {
        overhead
    };
    let mut lateness: Vec<Duration> = timed_out
        .iter()
        .map(|t| t.took.saturating_sub(t.limit).saturating_sub(overhead))
        .collect();
    lateness.sort();
    let judged = lateness[lateness.len() / 4];
    let allowed = options.timing_precision + noise;
    (judged > allowed).then(|| {
        format!(
            "LC-LIMIT-7: the timeouts fired late: {judged:?} after their limits at the lower quartile of {} (all: {lateness:?}, less {overhead:?} the runtime takes for an operation), more than the contract's {:?} plus {noise:?} a busy thread was kept waiting meanwhile",
            timed_out.len(),
            options.timing_precision
        )
    })
}

/// How long a busy thread is kept off the CPU on this machine while a case runs: a
/// thread beside the case spins 5 ms at a time (a guest in a loop is a busy thread too)
/// and notes the longest gap between two of its clock readings, then rests 5 ms. The
/// longest gap seen is the scheduling delay a timeout could not help.
pub(super) struct DelayProbe {
    stop: Arc<std::sync::atomic::AtomicBool>,
    longest: tokio::task::JoinHandle<Duration>,
}

impl DelayProbe {
    pub(super) fn start() -> DelayProbe {
        const SPIN: Duration = Duration::from_millis(5);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let longest = tokio::task::spawn_blocking(move || {
            let mut longest = Duration::ZERO;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let began = Instant::now();
                let mut last = began;
                while last.duration_since(began) < SPIN {
                    let now = Instant::now();
                    longest = longest.max(now.duration_since(last));
                    last = now;
                }
                std::thread::sleep(SPIN);
            }
            longest
        });
        DelayProbe { stop, longest }
    }

    pub(super) async fn finish(mut self) -> Duration {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (&mut self.longest).await.unwrap_or_default()
    }
}

impl Drop for DelayProbe {
    /// A case aborted midway (an operation past its limit) drops its probe unfinished:
    /// the probe's thread must stop spinning all the same.
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
