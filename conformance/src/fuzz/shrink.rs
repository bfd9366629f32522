//! Greedy shrinking: from a failing case, try every reduction one step away at once,
//! keep the lightest that still fails the same way, and go on from it until none does
//! (or the time allowed is spent). Each kept reduction is strictly lighter, so a shrink
//! ends, and its result is never heavier than where it began.

use std::future::Future;
use std::time::{Duration, Instant};

/// What a shrink did.
#[derive(Clone, Debug)]
pub struct Shrunk<T> {
    pub minimal: T,
    /// Reductions kept.
    pub steps: u32,
    /// Candidates tried.
    pub tried: u64,
}

/// Shrinks `start`. `smaller` lists the candidates one reduction away (each must be
/// lighter by `weight`; heavier ones are dropped here all the same); `still_fails` tries
/// a batch of them and says, for each, whether it fails the same way.
pub async fn shrink<T, F, Fut>(
    start: T,
    weight: impl Fn(&T) -> usize,
    smaller: impl Fn(&T) -> Vec<T>,
    mut still_fails: F,
    budget: Duration,
) -> Shrunk<T>
where
    T: Clone,
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Vec<bool>>,
{
    let began = Instant::now();
    let mut current = start;
    let (mut steps, mut tried) = (0, 0);
    while began.elapsed() < budget {
        let now = weight(&current);
        let candidates: Vec<T> = smaller(&current)
            .into_iter()
            .filter(|c| weight(c) < now)
            .collect();
        if candidates.is_empty() {
            break;
        }
        tried += candidates.len() as u64;
        let fails = still_fails(candidates.clone()).await;
        let kept = candidates
            .into_iter()
            .zip(fails)
            .filter(|(_, fails)| *fails)
            .map(|(c, _)| c)
            .min_by_key(|c| weight(c));
        match kept {
            Some(lighter) => {
                current = lighter;
                steps += 1;
            }
            None => break,
        }
    }
    Shrunk {
        minimal: current,
        steps,
        tried,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifecycle_contract::{Step, limits::DEFAULT_STOP_TIMEOUT};
    use lifecycle_generators::fuzz::{Trial, draw};
    use lifecycle_generators::{Behaviour, Entry, Export, ModuleSpec, Trap};

    /// A planted failure: a runtime that fails any trial whose `handle-message` traps
    /// and that is sent a message. The shrink must find the least such trial: that
    /// export alone (its trap the simplest), a start and one empty message.
    #[tokio::test]
    async fn a_planted_failure_shrinks_to_the_expected_minimal_case() {
        let fails = |t: &Trial| {
            matches!(
                t.spec.slot(Entry::HandleMessage),
                Some(Export::Func(Behaviour::Trap(_)))
            ) && t.steps.iter().any(|s| matches!(s, Step::Send(_)))
        };
        let mut start = draw(11);
        start.spec = start
            .spec
            .handle_message(Behaviour::Trap(Trap::IntegerDivideByZero));
        start.steps.extend([
            Step::Send(b"hello".to_vec()),
            Step::Health,
            Step::Stop(DEFAULT_STOP_TIMEOUT),
        ]);
        let original = start.weight();
        let shrunk = shrink(
            start,
            Trial::weight,
            Trial::smaller,
            |batch: Vec<Trial>| {
                let r: Vec<bool> = batch.iter().map(fails).collect();
                async move { r }
            },
            Duration::from_secs(60),
        )
        .await;
        let want = ModuleSpec::new().handle_message(Behaviour::Trap(Trap::Unreachable));
        assert_eq!(shrunk.minimal.spec, want);
        assert_eq!(shrunk.minimal.steps, [Step::Send(Vec::new())]);
        assert_eq!(shrunk.minimal.cycles, 1);
        assert_eq!(shrunk.minimal.limits, lifecycle_contract::Limits::default());
        assert!(shrunk.minimal.weight() < original);
    }

    #[tokio::test]
    async fn nothing_to_keep_leaves_the_case_as_it_was() {
        let start = draw(5);
        let shrunk = shrink(
            start.clone(),
            Trial::weight,
            Trial::smaller,
            |batch: Vec<Trial>| async move { vec![false; batch.len()] },
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(shrunk.minimal, start);
        assert_eq!(shrunk.steps, 0);
    }
}
