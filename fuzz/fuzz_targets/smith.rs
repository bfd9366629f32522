//! A wasm-smith module with every lifecycle export, checked against the invariants: the
//! first byte's parity chooses whether its loops are bounded, the rest is wasm-smith's
//! entropy (`lifecycle-kit fuzz`'s fifth trial). The runtime under test:
//! `LIFECYCLE_FUZZ_RUNTIME` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::{Corpus, fuzz_mutator, fuzz_target};
use lifecycle_conformance::fuzz::input::Target;

fuzz_target!(init: lifecycle_kit_fuzz::init(), |data: &[u8]| -> Corpus {
    match lifecycle_kit_fuzz::check(Target::Smith, data) {
        true => Corpus::Keep,
        false => Corpus::Reject,
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    lifecycle_kit_fuzz::mutate(Target::Smith, data, size, max_size, seed)
});
