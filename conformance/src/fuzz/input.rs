//! libFuzzer's inputs: the bytes a `cargo fuzz` target (the `fuzz/` crate at the
//! repository's root) is given, decoded into what the built-in loop draws ([`Input`]),
//! checked with the same runner checks ([`Checker`]), and a crash file made a corpus case
//! as the loop makes its failures ([`import`], `lifecycle-kit fuzz --import CRASH`).
//!
//! Two targets, as the loop draws two things:
//! * `trial`: the bytes are the randomness of [`draw_from`] (through
//!   [`Stream`]: each number the next bytes, zeros once they run out), so libFuzzer's
//!   mutations steer every choice of the draw, and the trial is checked against the
//!   oracle. The bytes of the loop's own seeded generator ([`loop_bytes`]) draw exactly
//!   the loop's trial.
//! * `smith`: the first byte's parity chooses `terminating` (even: every loop bounded,
//!   as for an even seed in the loop) and the rest is wasm-smith's entropy; the module is
//!   checked against the invariants.
//!
//! Invariant: the targets and `--import` decode with [`Input::decode`] alone, so an input
//! the import refuses as not a trial is one the targets never ran, and one they crashed on
//! is imported as the very case that crashed.

use super::drawn::{Drawn, Smith, trial_seed};
use super::{Found, FuzzError, FuzzOptions, FuzzReport, Kind, Run, Signature, results};
use crate::case::Case;
use crate::runner::{CaseResult, Expectations, Factory, Verdict, factory};
use crate::subject::Subject;
use lifecycle_generators::fuzz::{Stream, draw_from, draw_sections, entropy, seeded_bytes};
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A libFuzzer target of `fuzz/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A drawn trial, checked against the oracle.
    Trial,
    /// A wasm-smith module, checked against the invariants.
    Smith,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::Trial, Target::Smith];

    pub fn name(self) -> &'static str {
        match self {
            Target::Trial => "trial",
            Target::Smith => "smith",
        }
    }

    /// The longest input the target takes (its `-max_len`): a trial's draws read a few
    /// hundred bytes, a smith module its entropy and the byte before it.
    pub fn max_len(self) -> usize {
        match self {
            Target::Trial => 4096,
            Target::Smith => 1 + entropy(0).len(),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no target's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no fuzz target named `{0}` (one of: trial, smith)")]
pub struct UnknownTarget(pub String);

impl std::str::FromStr for Target {
    type Err = UnknownTarget;
    fn from_str(s: &str) -> Result<Target, UnknownTarget> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownTarget(s.to_string()))
    }
}

/// How many draws a `trial` input may take to reach one the oracle predicts exactly
/// (the loop draws until one is; once the bytes run out, every draw is the same).
pub const TRIAL_ATTEMPTS: usize = 16;

/// Why bytes are not an input of a target: the targets skip them, `--import` refuses them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotATrial {
    #[error("empty: a target draws nothing from no bytes")]
    Empty,
    #[error("{len} bytes, over the `{target}` target's {max} (its -max_len)")]
    TooLong {
        target: Target,
        len: usize,
        max: usize,
    },
    #[error(
        "a wasm module (it begins with `\\0asm`), not a fuzz input: `lifecycle-kit trace` runs a module"
    )]
    Wasm,
    #[error("text, not a fuzz input: libFuzzer's crash files are the bytes a target was given")]
    Text,
    #[error(
        "no draw from these bytes that the oracle predicts exactly, in {TRIAL_ATTEMPTS} attempts"
    )]
    Open,
}

/// One input, decoded: what the loop would have drawn.
pub struct Input {
    target: Target,
    drawn: Drawn,
}

impl Input {
    /// Decodes `bytes` as `target` does; why they are not its input otherwise.
    pub fn decode(target: Target, bytes: &[u8]) -> Result<Input, NotATrial> {
        if bytes.is_empty() {
            return Err(NotATrial::Empty);
        }
        if bytes.len() > target.max_len() {
            return Err(NotATrial::TooLong {
                target,
                len: bytes.len(),
                max: target.max_len(),
            });
        }
        if bytes.starts_with(b"\0asm") {
            return Err(NotATrial::Wasm);
        }
        if is_text(bytes) {
            return Err(NotATrial::Text);
        }
        let drawn = match target {
            Target::Trial => {
                let trial =
                    draw_from(&mut Stream::new(bytes), TRIAL_ATTEMPTS).ok_or(NotATrial::Open)?;
                Drawn::Trial(Box::new(trial))
            }
            Target::Smith => {
                Drawn::Smith(Smith::new(bytes[1..].to_vec(), bytes[0].is_multiple_of(2)))
            }
        };
        Ok(Input { target, drawn })
    }

    pub fn target(&self) -> Target {
        self.target
    }

    /// It as a case to run (on the core ABI: the targets draw core modules).
    fn case(&self) -> Option<Case> {
        self.drawn.case(
            format!("{}-input", self.target),
            lifecycle_contract::Abi::Core,
        )
    }

    fn kind(&self) -> Kind {
        match self.target {
            Target::Trial => Kind::Oracle,
            Target::Smith => Kind::Invariants,
        }
    }
}

/// Text: valid UTF-8 with no control character but whitespace, ending in a line break,
/// as a case file or a WAT module is. A target's random bytes almost never are.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .is_ok_and(|s| s.ends_with('\n') && s.chars().all(|c| !c.is_control() || c.is_whitespace()))
}

/// What the loop draws as trial `index` of `seed`, as the input of the target that draws
/// it: for a trial, its seeded generator's bytes ([`seeded_bytes`]); for a wasm-smith
/// module, a byte of the parity of its seed and then its entropy. Each decodes to exactly
/// what the loop drew.
pub fn loop_bytes(seed: u64, index: u64) -> (Target, Vec<u8>) {
    let target = match Drawn::is_smith(index) {
        false => Target::Trial,
        true => Target::Smith,
    };
    (target, fresh(target, trial_seed(seed, index)))
}

/// The input of `target` that draws what the loop draws from the trial seed `seed`: a
/// blind draw, as the loop makes. The mutator of the targets (fuzz/) gives libFuzzer one
/// now and then beside its own mutations.
pub fn fresh(target: Target, seed: u64) -> Vec<u8> {
    match target {
        Target::Trial => seeded_bytes(seed),
        Target::Smith => {
            let mut bytes = vec![(seed % 256) as u8];
            bytes.extend(entropy(seed));
            bytes
        }
    }
}

/// How many of `bytes` decoding them as `target` reads: a trial's draws read their
/// choices from the front, and bytes after the last one read change nothing; a
/// wasm-smith module's entropy counts whole.
pub fn read_length(target: Target, bytes: &[u8]) -> usize {
    match target {
        Target::Trial => {
            let mut stream = Stream::new(bytes);
            let _ = draw_from(&mut stream, TRIAL_ATTEMPTS);
            bytes.len() - stream.left()
        }
        Target::Smith => bytes.len(),
    }
}

/// `bytes` with the choices after a point redrawn: the bytes the draw reads are kept up to
/// a point `seed` chooses, then come those of the fresh draw of `seed` ([`fresh`]), and
/// the result ends where its own draw stops reading (at most `max` bytes). For a trial the
/// point is, two times in three, where its module's choices end (new limits and steps for
/// the same module) or where its limits' end (new steps: a `_health` that outlasts its
/// deadline, called twice), else any byte read; for a wasm-smith module, any byte (its
/// types come first, then its functions). Ending where the draw stops keeps every later
/// redraw's point, and libFuzzer's own mutations, on bytes that are read.
pub fn redrawn(target: Target, bytes: &[u8], seed: u64, max: usize) -> Vec<u8> {
    // One draw of the input gives its sections and how much of it is read.
    let sections = match target {
        Target::Trial => draw_sections(bytes, TRIAL_ATTEMPTS),
        Target::Smith => None,
    };
    let read = sections.map_or_else(|| read_length(target, bytes), |s| s[2]);
    let anywhere = (seed.rotate_left(32) % (read as u64 + 1)) as usize;
    let cut = match (sections, seed % 3) {
        (Some(sections), i @ (0 | 1)) => sections[i as usize],
        _ => anywhere,
    };
    let mut out = bytes[..cut].to_vec();
    out.extend(fresh(target, seed));
    out.truncate(max);
    out.truncate(read_length(target, &out).max(1));
    out
}

/// Runs inputs one at a time, as a target does: each on a fresh subject with every check
/// of the runner, a failure of a known signature (the expectations file's) not counted.
pub struct Checker<S: Subject> {
    make: Factory<S>,
    expectations: Expectations,
    tokio: tokio::runtime::Runtime,
}

impl<S: Subject> Checker<S> {
    pub fn new<E: Display>(
        make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
        expectations: Expectations,
    ) -> Result<Checker<S>, FuzzError> {
        let make = factory(make);
        make().map_err(FuzzError::Runtime)?;
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| FuzzError::Runtime(format!("cannot start tokio: {e}")))?;
        Ok(Checker {
            make,
            expectations,
            tokio,
        })
    }

    /// How `input` fails on a fresh subject; none if it passes, needs a capability the
    /// runtime does not declare, or fails a known way.
    pub fn check(&self, input: &Input) -> Result<Option<Signature>, FuzzError> {
        let Some(case) = input.case() else {
            return Ok(None);
        };
        let result = self
            .tokio
            .block_on(results(&self.make, vec![case], 1))?
            .pop();
        Ok(result
            .and_then(|r| Signature::of(&r))
            .filter(|s| self.expectations.known_signature(&s.to_string()).is_none()))
    }
}

/// `fuzz --import CRASH`: runs the input a target crashed on (read from `file`, decoded as
/// `input`), and if it fails on the runtime from `make`, shrinks it and writes it to the
/// corpus as the loop does its failures. The report has one drawn case.
pub async fn import<S: Subject, E: Display>(
    make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    input: Input,
    file: &Path,
    options: &FuzzOptions,
) -> Result<FuzzReport, FuzzError> {
    let make = factory(make);
    let runtime = {
        let subject = make().map_err(FuzzError::Runtime)?;
        format!("{} {}", subject.name(), subject.version())
    };
    let mut run: Run<'_, S, S> = Run {
        make,
        against: None,
        options,
        began: Instant::now(),
        found: Vec::new(),
        known: Default::default(),
    };
    let kind = input.kind();
    let target = input.target;
    let (mut ran, mut unsupported) = (0, std::collections::BTreeMap::new());
    let result = match input.case() {
        Some(case) => results(&run.make, vec![case], 1).await?.pop(),
        None => None,
    };
    let failure = match result {
        Some(CaseResult {
            verdict: Verdict::Unsupported(capability),
            ..
        }) => {
            *unsupported.entry(capability).or_insert(0u64) += 1;
            None
        }
        Some(r) => {
            ran = 1;
            Signature::of(&r)
        }
        None => None,
    };
    if let Some(signature) = failure {
        match options.expectations.known_signature(&signature.to_string()) {
            Some(reason) => *run.known.entry(reason.to_string()).or_default() += 1,
            None => {
                let origin = super::Origin::Imported {
                    file: std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf()),
                    target,
                };
                let f = run.shrunk(kind, signature, input.drawn, origin).await?;
                run.found.push(f);
            }
        }
    }
    let found: Vec<Found> = run.found;
    Ok(FuzzReport {
        runtime,
        against: None,
        seed: options.seed,
        cases: 1,
        oracle_cases: u64::from(target == Target::Trial),
        smith_cases: u64::from(target == Target::Smith),
        set_aside: 0,
        ran,
        required_missing: super::report::required_missing(&unsupported, &options.require),
        unsupported,
        seconds: run.began.elapsed().as_secs_f64(),
        replayed: 0,
        found,
        known: run.known,
        imported: Some(PathBuf::from(file)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifecycle_generators::fuzz::draw;
    use lifecycle_generators::random::smith_module;

    /// The loop's draws, written as inputs, decode to exactly what the loop drew: the
    /// trial of the seed, or the wasm-smith module of the seed and its parity.
    #[test]
    fn the_loops_draws_decode_to_what_it_drew() {
        for index in 0..10 {
            let (target, bytes) = loop_bytes(0, index);
            let seed = trial_seed(0, index);
            match Input::decode(target, &bytes).map(|i| i.drawn) {
                Ok(Drawn::Trial(t)) if !Drawn::is_smith(index) => assert_eq!(*t, draw(seed)),
                Ok(Drawn::Smith(s)) if Drawn::is_smith(index) => {
                    assert_eq!(s.bytes, smith_module(seed, seed.is_multiple_of(2)))
                }
                _ => panic!("trial {index} of seed 0 decoded as something else"),
            }
        }
    }

    /// A redraw keeps a prefix of the bytes the draw reads (of a trial's input, none of the
    /// bytes after those), then a fresh draw's bytes, and ends where its own draw stops
    /// reading; a fresh draw is read to its end.
    #[test]
    fn a_redraw_keeps_a_prefix_and_ends_where_its_draw_does() {
        for target in Target::ALL {
            let mut unchanged = 0;
            for seed in 0..200 {
                let input = fresh(target, seed);
                assert_eq!(read_length(target, &input), input.len());
                // A trial's draw reads none of these; a smith module's entropy counts whole.
                let unread = if target == Target::Trial { 64 } else { 0 };
                let padded = [input.clone(), vec![7; unread]].concat();
                let redrawn = redrawn(target, &padded, seed + 100, target.max_len());
                let other = fresh(target, seed + 100);
                // Some prefix of the bytes read (none of the unread padding), then the
                // fresh draw's bytes.
                assert!(
                    (0..=input.len()).any(|k| {
                        redrawn.starts_with(&input[..k]) && other.starts_with(&redrawn[k..])
                    }),
                    "{target} seed {seed}: not a prefix of the bytes read, then the fresh draw"
                );
                assert_eq!(read_length(target, &redrawn), redrawn.len());
                assert!(Input::decode(target, &redrawn).is_ok());
                unchanged += usize::from(redrawn == input);
            }
            // A cut among unread bytes gives the input back: a wasted run.
            assert!(
                unchanged <= 2,
                "{target}: {unchanged} of 200 redraws changed nothing"
            );
            let capped = redrawn(target, &fresh(target, 1), 2, 5);
            assert!(!capped.is_empty() && capped.len() <= 5);
        }
    }

    #[test]
    fn what_is_no_input_of_a_target() {
        let decode = |t, b: &[u8]| Input::decode(t, b).err();
        assert_eq!(decode(Target::Trial, b""), Some(NotATrial::Empty));
        assert!(matches!(
            decode(Target::Trial, &[1; 4097]),
            Some(NotATrial::TooLong {
                len: 4097,
                max: 4096,
                ..
            })
        ));
        assert_eq!(decode(Target::Smith, &[1; 16385]), None);
        assert_eq!(
            decode(Target::Smith, b"\0asm\x01\0\0\0"),
            Some(NotATrial::Wasm)
        );
        assert_eq!(decode(Target::Trial, b"(module)\n"), Some(NotATrial::Text));
        // Bytes that merely end in a line break, or are text without one, are inputs.
        assert_eq!(decode(Target::Trial, b"\x01\x02\n"), None);
        assert_eq!(decode(Target::Trial, b"(module)"), None);
    }
}
