//! What the two targets share: the runtime under test, chosen once from the environment
//! variable `LIFECYCLE_FUZZ_RUNTIME` (`reference`, the default; `wasmi`; `faulty:NAME`,
//! one of the mutants of `lifecycle-kit mutants`), and one input checked on it.
//!
//! An input is decoded as `lifecycle-kit fuzz --import` decodes a crash
//! ([`Input::decode`]): bytes that are no input of the target are rejected (kept out of
//! the corpus), never run. A failure is a panic of one line: the failure's signature,
//! when it was found, and the command that imports the crash file libFuzzer then writes.

use lifecycle_conformance::Expectations;
use lifecycle_conformance::fuzz::FuzzError;
use lifecycle_conformance::fuzz::input::{Checker, Input, Target, fresh, redrawn};
use lifecycle_kit::mutants::FaultyRuntime;
use lifecycle_runtime::engine::wasmtime::Wasmtime;
use lifecycle_runtime::engine::wasmtime::config::Allocation;
use lifecycle_runtime::lifecycle::Runtime;
use lifecycle_runtime::runtimes::WasmiRuntime;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The environment variable that names the runtime under test.
pub const RUNTIME_VAR: &str = "LIFECYCLE_FUZZ_RUNTIME";

/// The runtime under test, with the checker of its kind.
enum Under {
    Reference(Checker<Runtime<Wasmtime>>),
    Wasmi(Checker<WasmiRuntime>),
    Faulty(Checker<FaultyRuntime>),
}

struct State {
    /// As `--runtime` names it.
    name: String,
    under: Under,
    began: Instant,
    inputs: AtomicU64,
}

/// Why the runtime under test cannot be had.
#[derive(Debug, thiserror::Error)]
enum Unusable {
    #[error("unknown runtime `{0}` (expected `reference`, `wasmi` or `faulty:NAME`)")]
    Unknown(String),
    #[error(transparent)]
    Mutant(#[from] lifecycle_kit::mutants::UnknownMutant),
    #[error("the expectations of `{0}`: {1}")]
    Expectations(String, lifecycle_conformance::CaseError),
    #[error(transparent)]
    Fuzz(#[from] FuzzError),
}

impl State {
    fn from_env() -> Result<State, Unusable> {
        let name = std::env::var(RUNTIME_VAR).unwrap_or_else(|_| "reference".into());
        // A built-in runtime's known differences, as `lifecycle-kit fuzz` applies them.
        let expectations = match lifecycle_conformance::case::builtin_expectations(&name) {
            Some(path) => {
                Expectations::load(&path).map_err(|e| Unusable::Expectations(name.clone(), e))?
            }
            None => Expectations::default(),
        };
        let allocation = Allocation::default();
        let under = match name.as_str() {
            "reference" => Under::Reference(Checker::new(
                move || lifecycle_runtime::runtimes::reference_on(allocation),
                expectations,
            )?),
            "wasmi" => Under::Wasmi(Checker::new(
                lifecycle_runtime::runtimes::wasmi,
                expectations,
            )?),
            other => match other.strip_prefix("faulty:") {
                Some(mutant) => Under::Faulty(Checker::new(
                    lifecycle_kit::mutants::named(mutant, allocation)?,
                    expectations,
                )?),
                None => return Err(Unusable::Unknown(other.to_string())),
            },
        };
        Ok(State {
            name,
            under,
            began: Instant::now(),
            inputs: AtomicU64::new(0),
        })
    }
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        State::from_env().unwrap_or_else(|why| {
            eprintln!("{RUNTIME_VAR}: {why}");
            std::process::exit(2)
        })
    })
}

/// Chooses the runtime under test, before libFuzzer runs any input (the targets'
/// `init`): a name that is none, or a runtime that cannot be made, is one line on stderr
/// and exit status 2, with no crash file written.
pub fn init() {
    state();
}

/// The targets' mutator, one of three ways chosen by libFuzzer's `seed`: three times in
/// four a fresh draw of the loop's kind (the input of the trial seed `seed` gives); once
/// in eight, the input's choices up to a point kept and the rest redrawn ([`redrawn`]:
/// its module kept, its limits and steps new); once in eight, libFuzzer's own mutation.
/// So the fuzzer keeps most of the loop's rate of blind draws, which is what finds a
/// mutant that shows in one draw in hundreds, and tries new steps on whatever reached new
/// code; with libFuzzer's mutations alone its inputs stay near the few it keeps, and with
/// half fresh draws it found `health-deadline-armed-once` in 5 runs of 10 where the loop
/// found it in 8 (docs/fuzzing.md).
pub fn mutate(target: Target, data: &mut [u8], size: usize, max_size: usize, seed: u32) -> usize {
    let max = max_size.min(data.len());
    let new = match seed % 8 {
        0..=5 => fresh(target, u64::from(seed / 8)),
        6 => redrawn(target, &data[..size], u64::from(seed / 8), max),
        _ => return libfuzzer_sys::fuzzer_mutate(data, size, max_size),
    };
    if new.len() <= max {
        data[..new.len()].copy_from_slice(&new);
        return new.len();
    }
    libfuzzer_sys::fuzzer_mutate(data, size, max_size)
}

/// Checks `data` as an input of `target` on the runtime under test: false if it is none
/// (libFuzzer then keeps it out of the corpus); a panic of one line if it fails.
pub fn check(target: Target, data: &[u8]) -> bool {
    let state = state();
    let Ok(input) = Input::decode(target, data) else {
        return false;
    };
    let inputs = state.inputs.fetch_add(1, Ordering::Relaxed) + 1;
    let checked = match &state.under {
        Under::Reference(c) => c.check(&input),
        Under::Wasmi(c) => c.check(&input),
        Under::Faulty(c) => c.check(&input),
    };
    match checked {
        Ok(None) => true,
        Ok(Some(signature)) => panic!(
            "the `{target}` input fails on {}: {signature} (after {:.1} s and {inputs} inputs); import the crash file libFuzzer names below: lifecycle-kit fuzz --runtime {} --fuzz-target {target} --import CRASH --corpus DIR",
            state.name,
            state.began.elapsed().as_secs_f64(),
            state.name,
        ),
        Err(e) => panic!("cannot check the `{target}` input on {}: {e}", state.name),
    }
}
