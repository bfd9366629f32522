//! What a fuzz run draws: a trial for the oracle, or (one in [`SMITH_EVERY`]) a
//! wasm-smith module with the entropy it was made from, so that it can be shrunk.
//!
//! Invariant: trial `i` of seed `s` is the same on every machine ([`trial_seed`]).

use crate::case::Case;
use lifecycle_contract::Abi;
use lifecycle_generators::fuzz::{Trial, smaller_entropy};
use lifecycle_generators::random::smith_from;
use std::sync::Arc;

/// The seed of trial `index`: SplitMix64 of the run's seed and the index.
pub(super) fn trial_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One in this many trials is a wasm-smith module.
pub(super) const SMITH_EVERY: u64 = 5;

/// A drawn thing to run.
pub(super) enum Drawn {
    Trial(Box<Trial>),
    Smith(Smith),
}

impl Drawn {
    /// Whether the loop's trial `index` is a wasm-smith module.
    pub(super) fn is_smith(index: u64) -> bool {
        index % SMITH_EVERY == SMITH_EVERY - 1
    }

    /// `trial` or `smith`, for its case's id.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Drawn::Trial(_) => "trial",
            Drawn::Smith(_) => "smith",
        }
    }

    /// It as a case on `abi`; none where it has no form there (a wasm-smith module is a
    /// core module; a trial's spec may have no component form, or an outcome there the
    /// oracle does not model). A drawn trial is exact on the core ABI.
    pub(super) fn case(&self, id: String, abi: Abi) -> Option<Case> {
        match (self, abi) {
            (Drawn::Trial(t), _) => Case::from_trial(id, t).ok(),
            (Drawn::Smith(s), Abi::Core) => Some(s.case(id)),
            (Drawn::Smith(_), Abi::Component) => None,
        }
    }
}

/// A wasm-smith module with the entropy it was made from.
#[derive(Clone)]
pub(super) struct Smith {
    entropy: Vec<u8>,
    terminating: bool,
    pub(super) bytes: Vec<u8>,
}

impl Smith {
    pub(super) fn new(entropy: Vec<u8>, terminating: bool) -> Smith {
        let bytes = smith_from(&entropy, terminating);
        Smith {
            entropy,
            terminating,
            bytes,
        }
    }

    pub(super) fn smaller(&self) -> Vec<Smith> {
        smaller_entropy(&self.entropy)
            .into_iter()
            .map(|e| Smith::new(e, self.terminating))
            .collect()
    }

    pub(super) fn case(&self, id: String) -> Case {
        Case::smith(id, Arc::from(self.bytes.clone()))
    }
}
