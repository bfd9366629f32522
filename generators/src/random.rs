//! Seeded families. The same seed always gives the same bytes and the same expectation;
//! a case is reproduced from its name (`random-SEED`, `smith-SEED`) alone.
//!
//! * [`scenario`]: a combination of behaviours, exports and limits drawn from a seed,
//!   with the oracle's exact expectation (draws the oracle calls ambiguous are redrawn).
//! * [`smith_module`]: a wasm-smith module with every lifecycle export forced onto
//!   random bodies, for robustness runs checked against [`crate::invariants`].

use crate::catalogue::{SPIN_FUEL, SPIN_TIMEOUT, clause};
use crate::scenario::Scenario;
use crate::spec::{Behaviour, Entry, ModuleSpec, Trap};
use lifecycle_contract::Profile;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `count` seeded scenarios drawn from `seed`.
pub fn family(seed: u64, count: usize) -> Vec<Scenario> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count).map(|_| scenario(rng.next_u64())).collect()
}

pub(crate) fn behaviour<R: Rng + ?Sized>(rng: &mut R, slot: Entry) -> Behaviour {
    let trap = Trap::ALL[rng.random_range(0..Trap::ALL.len())];
    match rng.random_range(0..10) {
        0 | 1 => Behaviour::Return,
        2 => Behaviour::Trap(trap),
        3 => Behaviour::Spin,
        4 => Behaviour::Burn(if rng.random_bool(0.8) {
            10_000
        } else {
            10_000_000
        }),
        5 => Behaviour::GrowMemory(rng.random_range(0..3)),
        6 => match slot {
            Entry::Health => Behaviour::Value(rng.random_range(-1..4)),
            Entry::Alloc => Behaviour::Value(rng.random_range(65_500..65_600)),
            _ => Behaviour::app_error(rng.random_range(1..100)),
        },
        7 => match slot {
            Entry::HandleMessage => {
                Behaviour::reply(rng.random_range(0..70_000), rng.random_range(0..64))
            }
            _ => Behaviour::Return,
        },
        8 => Behaviour::on_call(rng.random_range(1..4), Behaviour::Trap(trap)),
        _ => Behaviour::Echo,
    }
}

fn draw(rng: &mut ChaCha8Rng, seed: u64) -> Scenario {
    let mut spec = ModuleSpec::new();
    if rng.random_bool(0.8) {
        spec = spec.memory(rng.random_range(1..3), None);
    }
    for slot in Entry::ALL {
        if rng.random_bool(0.7) {
            spec = spec.export(slot, crate::spec::Export::Func(behaviour(rng, slot)));
        }
    }
    if rng.random_bool(0.1) {
        spec = spec.start_section(behaviour(rng, Entry::Start));
    }
    let profile = if rng.random_bool(0.5) {
        Profile::Strict
    } else {
        Profile::Standard
    };
    let unlimited_fuel = rng.random_bool(0.3);
    let pages = rng.random_range(1..5);
    let mut scenario = Scenario::new(
        format!("random-{seed}"),
        clause::STATES,
        format!("seeded combination {seed}"),
        spec,
    )
    .profile(profile)
    .limits(|l| {
        l.max_memory_bytes = pages * 65_536;
        l.max_message_bytes = rng.random_range(4..64);
        if unlimited_fuel {
            l.fuel_per_call = u64::MAX;
            l.start_timeout = SPIN_TIMEOUT;
            l.call_timeout = SPIN_TIMEOUT;
            l.health_timeout = SPIN_TIMEOUT;
        } else {
            l.fuel_per_call = SPIN_FUEL;
        }
    });
    if unlimited_fuel {
        scenario = scenario.stop_timeout(SPIN_TIMEOUT);
    }
    for _ in 0..rng.random_range(0..4) {
        let words = ["hi", "hello", "", "lifecycle", "x"];
        scenario = scenario.send(words[rng.random_range(0..words.len())]);
    }
    if rng.random_bool(0.5) {
        scenario = scenario.health();
    }
    scenario
}

/// The seeded scenario `random-SEED`: a draw the oracle can predict exactly.
pub fn scenario(seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    loop {
        let s = draw(&mut rng, seed);
        if s.expected().is_ok() {
            return s;
        }
    }
}

/// The exports a smith module must have: those of a full actor.
fn lifecycle_exports() -> Vec<u8> {
    let actor = ModuleSpec::actor(Behaviour::Echo)
        .start(Behaviour::Return)
        .cleanup(Behaviour::Return)
        .health(Behaviour::Return);
    crate::encode::encode(&actor)
}

/// A wasm-smith module for `seed`: every lifecycle export with a random body, only the
/// `strict` profile's features, no imports. With `terminating`, every loop and call is
/// bounded (`ensure_termination`), so only traps and limits can stop it.
pub fn smith_module(seed: u64, terminating: bool) -> Vec<u8> {
    smith_from(&entropy(seed), terminating)
}

/// How many bytes of entropy a smith module is drawn from.
const SMITH_ENTROPY: usize = 16 * 1024;

/// The wasm-smith entropy of `seed`.
pub fn entropy(seed: u64) -> Vec<u8> {
    let mut entropy = vec![0u8; SMITH_ENTROPY];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut entropy);
    entropy
}

/// The wasm-smith module `entropy` makes (see [`smith_module`]); less entropy, fewer
/// choices, a smaller module.
pub fn smith_from(entropy: &[u8], terminating: bool) -> Vec<u8> {
    let mut u = arbitrary::Unstructured::new(entropy);
    let config = wasm_smith::Config {
        exports: Some(lifecycle_exports()),
        max_imports: 0,
        bulk_memory_enabled: false,
        reference_types_enabled: false,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        memory64_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        // The exported `memory` is generated regardless; no other memory may join it.
        max_memories: 0,
        max_memory32_bytes: 4 << 20,
        max_table_elements: 1_000,
        ..wasm_smith::Config::default()
    };
    let mut module = wasm_smith::Module::new(config, &mut u)
        .expect("wasm-smith builds a module from any entropy");
    if terminating {
        module
            .ensure_termination(10_000)
            .expect("a module without imports can be bounded");
    }
    module.to_bytes()
}
