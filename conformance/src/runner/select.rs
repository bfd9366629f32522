//! Which cases a run takes: `--filter` (an exact id, or part of ids and clause ids) and
//! `--shard K/N`.
//!
//! Invariant: a case's shard depends on its id alone, the same on every machine, so N
//! shards of one suite hold every case exactly once.

use crate::case::Case;

/// A stable hash of a case id, for sharding: the same on every machine.
fn shard_hash(id: &str) -> u64 {
    crate::hash::StableHash::of(id.as_bytes())
}

/// Keeps the cases a filter and a shard select. A filter pattern equal to a case id
/// selects that case alone; otherwise it matches ids and clause ids containing it.
/// Shard `k` of `n` (1-based) keeps the cases whose id hashes to `k - 1` modulo `n`.
pub fn select(cases: Vec<Case>, filter: Option<&str>, shard: Option<(u64, u64)>) -> Vec<Case> {
    let exact = filter.is_some_and(|f| cases.iter().any(|c| c.id == f));
    cases
        .into_iter()
        .filter(|c| match filter {
            None => true,
            Some(f) if exact => c.id == f,
            Some(f) => c.id.contains(f) || c.clauses.iter().any(|cl| cl.contains(f)),
        })
        .filter(|c| shard.is_none_or(|(k, n)| shard_hash(&c.id) % n == k - 1))
        .collect()
}
