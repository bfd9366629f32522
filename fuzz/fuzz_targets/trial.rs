//! A drawn trial, checked against the oracle with every check of the runner: the bytes
//! are the randomness the draw takes its choices from (`lifecycle-kit fuzz`'s four trials
//! in five). The runtime under test: `LIFECYCLE_FUZZ_RUNTIME` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::{Corpus, fuzz_mutator, fuzz_target};
use lifecycle_conformance::fuzz::input::Target;

fuzz_target!(init: lifecycle_kit_fuzz::init(), |data: &[u8]| -> Corpus {
    match lifecycle_kit_fuzz::check(Target::Trial, data) {
        true => Corpus::Keep,
        false => Corpus::Reject,
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    lifecycle_kit_fuzz::mutate(Target::Trial, data, size, max_size, seed)
});
