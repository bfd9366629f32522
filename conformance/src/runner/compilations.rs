//! LC-START-7 over a whole case, for a runtime that declares the `compilations`
//! capability: each distinct module compiled once.
//!
//! Invariant: two modules are the same module to a cache when their bytes (or path) and
//! profile are the same ([`module_key`]), whatever their limits.

use crate::case::{Case, CaseModule};
use crate::subject::ModuleSource;
use lifecycle_contract::{Outcome, Profile, Stage, Summary};
use std::collections::BTreeSet;

/// What makes two modules the same module to a cache: their bytes (or path) and profile.
fn module_key(module: &CaseModule) -> (Vec<u8>, Profile) {
    let bytes = match &module.module {
        ModuleSource::Bytes(b) => b.to_vec(),
        ModuleSource::File(p) => p.to_string_lossy().as_bytes().to_vec(),
    };
    (bytes, module.profile)
}

/// LC-START-7, for a runtime that counts its compilations: each distinct module compiled
/// at most once in the case, and at least once if it got as far as instantiation (a
/// fresh runtime has nothing cached), so that a counter that never counts is seen too.
/// `starts` is how many start operations the case performed, over every component and
/// cycle.
pub(super) fn compilation_problem(
    case: &Case,
    summaries: &[Summary],
    starts: usize,
    before: Option<u64>,
    after: Option<u64>,
) -> Option<String> {
    let (Some(before), Some(after)) = (before, after) else {
        return Some(
            "LC-START-7: the runtime declares the `compilations` capability but its counters carry no `compilations`".into(),
        );
    };
    let compiled = after.saturating_sub(before);
    let distinct: BTreeSet<_> = case.modules.iter().map(module_key).collect();
    let instantiated: BTreeSet<_> = case
        .modules
        .iter()
        .zip(summaries)
        .filter(|(_, summary)| {
            summary.outcomes().any(|o| match o {
                Outcome::Start(Ok(())) => true,
                Outcome::Start(Err(e)) => matches!(e.stage, Stage::Instantiate | Stage::Start),
                _ => false,
            })
        })
        .map(|(m, _)| module_key(m))
        .collect();
    if compiled > distinct.len() as u64 {
        return Some(format!(
            "LC-START-7: {compiled} compilations for {} distinct module(s) in {starts} start operation(s): a module is compiled again instead of found",
            distinct.len()
        ));
    }
    (compiled < instantiated.len() as u64).then(|| {
        format!(
            "LC-START-7: {compiled} compilations counted, but {} distinct module(s) were instantiated: the `compilations` counter does not count",
            instantiated.len()
        )
    })
}
