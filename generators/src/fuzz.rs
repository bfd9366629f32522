//! What `lifecycle-kit fuzz` draws and shrinks: a [`Trial`] is a module spec, the profile
//! and limits it runs under, and any sequence of lifecycle steps (start twice, messages
//! before start and after stop, health in every state, stop twice, several cycles), with
//! the oracle's exact expectation. Draws whose outcome the contract leaves open are
//! drawn again.
//!
//! Shrinking is structural: [`Trial::smaller`] lists every trial one reduction away
//! (fewer steps or cycles, shorter messages, an export dropped, a behaviour replaced by a
//! simpler one, a section dropped, a limit back at its default), each strictly smaller by
//! [`Trial::weight`], so a shrink always ends and never grows its case.
//!
//! For wasm-smith modules the reduction is the generator's own: the entropy it draws
//! from is cut and zeroed ([`smaller_entropy`]), so a reduced module is the module
//! wasm-smith makes from fewer choices.

use crate::catalogue::SPIN_FUEL;
use crate::encode::encode;
use crate::oracle::{self, Ambiguous, Modelled, Prediction};
use crate::spec::{
    Behaviour, Entry, Export, Feature, ImportKind, Memory, MemoryExport, ModuleSpec, Table, Trap,
};
use lifecycle_contract::limits::DEFAULT_STOP_TIMEOUT;
use lifecycle_contract::{Abi, Limits, Profile, Step};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// One fuzzing case: a module and everything it is put through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trial {
    pub spec: ModuleSpec,
    pub profile: Profile,
    pub limits: Limits,
    /// Done in order on one component; `cycles` times, each on a fresh one.
    pub steps: Vec<Step>,
    pub cycles: u32,
    /// The interface its module is run through: drawn for the core ABI; `fuzz --abi
    /// component` runs the same trial as the component of its spec.
    pub abi: Abi,
}

/// The wall clock of every operation when fuel is unlimited: a spinning guest waits it
/// out, so it is short, but every call that returns must fit it with room to spare on a
/// saturated machine (found by fuzzing beside another fuzzer on 2 cores: with 100 ms, an
/// instantiation and `_start` that return were sometimes late).
const UNLIMITED_FUEL_TIMEOUT: Duration = Duration::from_millis(500);

/// Messages a trial sends: empty, short, and longer than any drawn message limit.
const WORDS: [&str; 6] = [
    "",
    "x",
    "hi",
    "hello",
    "lifecycle",
    "a message longer than sixty-four bytes, the largest limit a trial draws",
];

impl Trial {
    /// The module as the oracle sees it, on its ABI.
    pub fn modelled(&self) -> Modelled<'_> {
        Modelled::of(&self.spec, self.abi)
    }

    /// The module for its ABI: none for a component whose spec has no component form
    /// ([`Trial::expected`] says why).
    pub fn bytes(&self) -> Vec<u8> {
        match self.abi {
            Abi::Core => encode(&self.spec),
            Abi::Component => crate::canonical::component(&self.spec).unwrap_or_default(),
        }
    }

    /// Every outcome the contract allows for this trial (one, for a drawn trial on the
    /// core ABI; on the component ABI, `Ambiguous` where the spec has no component form
    /// or the oracle does not model it).
    pub fn expected(&self) -> Result<Vec<Prediction>, Ambiguous> {
        oracle::predict_steps_any(self.modelled(), self.profile, &self.limits, &self.steps)
    }

    /// Whether the oracle predicts exactly one outcome.
    pub fn exact(&self) -> bool {
        self.expected().is_ok_and(|all| all.len() == 1)
    }

    /// How big the case is, in one number that every reduction lowers: the module's
    /// bytes, each step (a message by its length too), each extra cycle, each limit not
    /// at its default, a profile other than strict.
    pub fn weight(&self) -> usize {
        let steps: usize = self
            .steps
            .iter()
            .map(|s| match s {
                Step::Send(m) => 4 + m.len(),
                Step::Stop(t) if *t != DEFAULT_STOP_TIMEOUT => 5,
                _ => 4,
            })
            .sum();
        let limits = self.limits.flags_differing_from(&Limits::default()).len();
        self.bytes().len()
            + steps
            + 8 * (self.cycles as usize - 1)
            + 2 * limits
            + 2 * usize::from(self.profile != Profile::Strict)
    }

    /// Every trial one reduction away that is strictly lighter ([`Trial::weight`]), most
    /// drastic first. Whether each still fails, and the same way, is the caller's to try.
    pub fn smaller(&self) -> Vec<Trial> {
        let mut out: Vec<Trial> = Vec::new();
        let mut push = |t: Trial| out.push(t);
        if self.cycles > 1 {
            push(Trial {
                cycles: 1,
                ..self.clone()
            });
        }
        // Steps: a suffix dropped, then each one.
        for keep in 0..self.steps.len() {
            let mut t = self.clone();
            t.steps.truncate(keep);
            push(t);
        }
        for i in 0..self.steps.len() {
            let mut t = self.clone();
            t.steps.remove(i);
            push(t);
        }
        for i in 0..self.steps.len() {
            match &self.steps[i] {
                Step::Send(m) if !m.is_empty() => {
                    for shorter in [Vec::new(), m[..1].to_vec(), m[..m.len() / 2].to_vec()] {
                        let mut t = self.clone();
                        t.steps[i] = Step::Send(shorter);
                        push(t);
                    }
                }
                Step::Stop(d) if *d != DEFAULT_STOP_TIMEOUT => {
                    let mut t = self.clone();
                    t.steps[i] = Step::Stop(DEFAULT_STOP_TIMEOUT);
                    push(t);
                }
                _ => {}
            }
        }
        // Exports: dropped, or their behaviour simplified.
        for slot in Entry::ALL.iter().copied() {
            let Some(export) = self.spec.slot(slot) else {
                continue;
            };
            push(self.with_spec(self.spec.clone().without(slot)));
            if let Export::Func(b) = export {
                for simpler in simpler(b) {
                    push(self.with_spec(self.spec.clone().export(slot, Export::Func(simpler))));
                }
            } else {
                push(
                    self.with_spec(
                        self.spec
                            .clone()
                            .export(slot, Export::Func(Behaviour::Return)),
                    ),
                );
            }
        }
        if let Some(b) = &self.spec.start_section {
            let mut spec = self.spec.clone();
            spec.start_section = None;
            push(self.with_spec(spec));
            for simpler in simpler(b) {
                let mut spec = self.spec.clone();
                spec.start_section = Some(simpler);
                push(self.with_spec(spec));
            }
        }
        // Sections.
        let mut edits: Vec<Edit> = Vec::new();
        let spec = &self.spec;
        if spec.memory.is_some() {
            edits.push(Box::new(|s| s.memory = None));
        }
        if let Some(m) = spec.memory {
            if m.maximum.is_some() {
                edits.push(Box::new(|s| s.memory.as_mut().unwrap().maximum = None));
            }
            if m.initial > 0 {
                edits.push(Box::new(|s| s.memory.as_mut().unwrap().initial -= 1));
            }
            if m.export != MemoryExport::Exported {
                edits.push(Box::new(|s| {
                    s.memory.as_mut().unwrap().export = MemoryExport::Exported
                }));
            }
        }
        if spec.table.is_some() {
            edits.push(Box::new(|s| s.table = None));
        }
        if spec.extra_tables > 0 {
            edits.push(Box::new(|s| s.extra_tables = 0));
        }
        each_removed(&mut edits, spec.imports.len(), |s| &mut s.imports);
        each_removed(&mut edits, spec.data.len(), |s| &mut s.data);
        each_removed(&mut edits, spec.elems.len(), |s| &mut s.elems);
        each_removed(&mut edits, spec.features.len(), |s| &mut s.features);
        if spec.globals > 0 {
            edits.push(Box::new(|s| s.globals = 0));
        }
        if spec.invalid_body {
            edits.push(Box::new(|s| s.invalid_body = false));
        }
        for edit in edits {
            let mut s = self.spec.clone();
            edit(&mut s);
            push(self.with_spec(s));
        }
        // Limits back at their defaults, one at a time; the profile at strict.
        for name in self.limits.flags_differing_from(&Limits::default()) {
            let mut limits = self.limits.clone();
            let defaults = Limits::default();
            let mut json = limits.to_json();
            json[name.name.key] = defaults.to_json()[name.name.key].clone();
            if let Ok(relaxed) = Limits::from_json(&json) {
                limits = relaxed;
                push(Trial {
                    limits,
                    ..self.clone()
                });
            }
        }
        if self.profile != Profile::Strict {
            push(Trial {
                profile: Profile::Strict,
                ..self.clone()
            });
        }
        let weight = self.weight();
        out.retain(|t| t.weight() < weight);
        out
    }

    fn with_spec(&self, spec: ModuleSpec) -> Trial {
        Trial {
            spec,
            ..self.clone()
        }
    }
}

/// One reduction of a module spec.
type Edit = Box<dyn Fn(&mut ModuleSpec)>;

/// One edit per element of a list of the spec (`len` long): that element removed.
fn each_removed<T: 'static>(
    edits: &mut Vec<Edit>,
    len: usize,
    list: fn(&mut ModuleSpec) -> &mut Vec<T>,
) {
    for i in 0..len {
        edits.push(Box::new(move |s| {
            list(s).remove(i);
        }));
    }
}

/// Simpler behaviours than `b`, simplest first: what a shrink tries in its place.
fn simpler(b: &Behaviour) -> Vec<Behaviour> {
    let mut out = vec![Behaviour::Return];
    match b {
        Behaviour::Return => return Vec::new(),
        Behaviour::OnCall {
            then, otherwise, ..
        } => {
            out.push((**then).clone());
            out.push((**otherwise).clone());
            if let Behaviour::OnCall { nth, .. } = b
                && *nth > 1
            {
                out.push(Behaviour::OnCall {
                    nth: 1,
                    then: then.clone(),
                    otherwise: otherwise.clone(),
                });
            }
        }
        Behaviour::Trap(t) if *t != Trap::Unreachable => {
            out.push(Behaviour::Trap(Trap::Unreachable))
        }
        Behaviour::Value(v) if *v != 0 => out.push(Behaviour::Value(0)),
        Behaviour::Burn(n) if *n > 1 => out.push(Behaviour::Burn(n / 10)),
        Behaviour::GrowMemory(n) if *n > 1 => out.push(Behaviour::GrowMemory(n - 1)),
        Behaviour::GrowTable(n) if *n > 1 => out.push(Behaviour::GrowTable(n - 1)),
        Behaviour::GrowMemoryOrTrap(n) => out.push(Behaviour::GrowMemory(*n)),
        Behaviour::GrowTableOrTrap(n) => out.push(Behaviour::GrowTable(*n)),
        _ => {}
    }
    out.retain(|s| s != b);
    out
}

/// The trial drawn from `seed`: one whose outcome the oracle predicts exactly. The
/// seeded stream is [`draw_from`]'s randomness, and draws are tried until one is exact.
pub fn draw(seed: u64) -> Trial {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    loop {
        if let Some(t) = draw_from(&mut rng, 1) {
            return t;
        }
    }
}

/// The first trial drawn from `rng` whose outcome the oracle predicts exactly, trying at
/// most `attempts` draws; none if every one of them was open. The one set of rules for
/// every source: a seed ([`draw`]) or a fuzzer's bytes ([`Stream`]), whose choices are
/// then the fuzzer's.
pub fn draw_from<R: Rng + ?Sized>(rng: &mut R, attempts: usize) -> Option<Trial> {
    (0..attempts).map(|_| draw_once(rng)).find(Trial::exact)
}

/// Randomness read from a fuzzer's bytes, through [`arbitrary::Unstructured`]: each
/// number is the next bytes, little-endian, and zeros once they run out. So
/// `draw_from(&mut Stream::new(bytes), n)` lets libFuzzer's mutations steer every
/// choice a draw makes, and the bytes a seeded generator would give ([`seeded_bytes`])
/// draw exactly the trial of that seed.
pub struct Stream<'a> {
    bytes: arbitrary::Unstructured<'a>,
}

impl<'a> Stream<'a> {
    pub fn new(bytes: &'a [u8]) -> Stream<'a> {
        Stream {
            bytes: arbitrary::Unstructured::new(bytes),
        }
    }

    /// Bytes not read yet.
    pub fn left(&self) -> usize {
        self.bytes.len()
    }
}

impl rand::RngCore for Stream<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut word = [0; 4];
        self.fill_bytes(&mut word);
        u32::from_le_bytes(word)
    }

    fn next_u64(&mut self) -> u64 {
        let mut word = [0; 8];
        self.fill_bytes(&mut word);
        u64::from_le_bytes(word)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        // Never an error: past the end, `fill_buffer` pads with zeros.
        let _ = self.bytes.fill_buffer(dst);
    }
}

/// The bytes that make [`Stream`] give exactly the numbers `draw(seed)` takes from its
/// seeded generator: that generator's output, as many 32-bit words as the draw used
/// (ChaCha's 64-bit numbers are two words, low first, as the stream reads them). A seed
/// corpus for libFuzzer that starts where the built-in loop does.
pub fn seeded_bytes(seed: u64) -> Vec<u8> {
    /// A seeded generator that counts the words it gives.
    struct Counted(ChaCha8Rng, usize);
    impl rand::RngCore for Counted {
        fn next_u32(&mut self) -> u32 {
            self.1 += 1;
            self.0.next_u32()
        }
        fn next_u64(&mut self) -> u64 {
            self.1 += 2;
            self.0.next_u64()
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            self.1 += dst.len().div_ceil(4);
            self.0.fill_bytes(dst)
        }
    }
    let mut counted = Counted(ChaCha8Rng::seed_from_u64(seed), 0);
    while draw_from(&mut counted, 1).is_none() {}
    let mut bytes = vec![0; 4 * counted.1];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

fn behaviour<R: Rng + ?Sized>(rng: &mut R, slot: Entry) -> Behaviour {
    match rng.random_range(0..24) {
        0 | 1 => Behaviour::GrowMemoryOrTrap(rng.random_range(0..3)),
        2 => Behaviour::GrowTable(rng.random_range(0..3)),
        3 | 4 => Behaviour::OnCall {
            nth: rng.random_range(1..4),
            then: Box::new(plain(rng, slot)),
            otherwise: Box::new(plain(rng, slot)),
        },
        _ => crate::random::behaviour(rng, slot),
    }
}

/// A behaviour that is not an `OnCall` (which does not nest).
fn plain<R: Rng + ?Sized>(rng: &mut R, slot: Entry) -> Behaviour {
    loop {
        let b = crate::random::behaviour(rng, slot);
        if !matches!(b, Behaviour::OnCall { .. }) {
            return b;
        }
    }
}

/// Where the choices of the trial drawn from `bytes` (as [`draw_from`] with `attempts`
/// draws) part, in bytes read: where its module's choices end and its limits' begin,
/// where its limits' end and its steps' begin, and where the draw ends (every byte after
/// it unread). None if no draw of them is exact. A fuzzer's mutator redraws from one of
/// the first two: the module kept, or the module and limits.
pub fn draw_sections(bytes: &[u8], attempts: usize) -> Option<[usize; 3]> {
    let mut stream = Stream::new(bytes);
    for _ in 0..attempts {
        let mut marks = Vec::new();
        let trial = draw_marking(&mut stream, &mut |s: &Stream<'_>| {
            marks.push(bytes.len() - s.left())
        });
        if trial.exact() {
            return Some([marks[0], marks[1], bytes.len() - stream.left()]);
        }
    }
    None
}

fn draw_once<R: Rng + ?Sized>(rng: &mut R) -> Trial {
    draw_marking(rng, &mut |_| {})
}

/// One draw; `mark` hears when its module's choices are made, and when its limits' are.
fn draw_marking<R: Rng + ?Sized>(rng: &mut R, mark: &mut dyn FnMut(&R)) -> Trial {
    let mut spec = ModuleSpec::new();
    if rng.random_bool(0.8) {
        let initial = rng.random_range(0..3);
        spec.memory = Some(Memory {
            initial,
            maximum: rng
                .random_bool(0.2)
                .then(|| initial + rng.random_range(0..3)),
            export: match rng.random_range(0..20) {
                0 => MemoryExport::Hidden,
                1 => MemoryExport::WrongKind,
                _ => MemoryExport::Exported,
            },
        });
    }
    for slot in Entry::ALL {
        let export = match rng.random_range(0..100) {
            0 => Some(Export::WrongKind),
            1 => Some(Export::WrongSignature),
            2..72 => Some(Export::Func(behaviour(rng, slot))),
            _ => None,
        };
        spec.exports[slot as usize] = export;
    }
    // Mostly a whole actor, as LC-EXPORT-2 wants one: a handler has its memory and `alloc`.
    if matches!(spec.slot(Entry::HandleMessage), Some(Export::Func(_))) && rng.random_bool(0.9) {
        if spec
            .memory
            .is_none_or(|m| m.export != MemoryExport::Exported)
        {
            spec = spec.memory(1, None);
        }
        if !matches!(spec.slot(Entry::Alloc), Some(Export::Func(_))) {
            spec = spec.alloc(Behaviour::Return);
        }
    }
    if rng.random_bool(0.1) {
        spec.start_section = Some(behaviour(rng, Entry::Start));
    }
    if rng.random_bool(0.1) {
        let initial = rng.random_range(0..4);
        spec.table = Some(Table {
            initial,
            maximum: rng
                .random_bool(0.5)
                .then(|| initial.max(2) + rng.random_range(0..3)),
        });
    }
    if rng.random_bool(0.05) {
        spec.extra_tables = 1;
    }
    for _ in 0..rng.random_range(0..3) {
        if rng.random_bool(0.3) {
            spec.data
                .push((rng.random_range(0..70_000), rng.random_range(1..8)));
        }
    }
    if rng.random_bool(0.05) {
        spec.elems
            .push((rng.random_range(0..4), rng.random_range(1..3)));
    }
    if rng.random_bool(0.05) {
        let kinds = [
            ImportKind::Func,
            ImportKind::Memory,
            ImportKind::Table,
            ImportKind::Global,
        ];
        spec.imports.push(crate::spec::Import {
            module: "env".into(),
            name: "host".into(),
            kind: kinds[rng.random_range(0..kinds.len())],
        });
    }
    if rng.random_bool(0.1) {
        spec.globals = rng.random_range(1..3);
    }
    if rng.random_bool(0.05) {
        spec.features
            .push(Feature::ALL[rng.random_range(0..Feature::ALL.len())]);
    }
    if rng.random_bool(0.02) {
        spec.invalid_body = true;
    }
    mark(rng);
    let profile = if rng.random_bool(0.5) {
        Profile::Strict
    } else {
        Profile::Standard
    };
    let unlimited_fuel = rng.random_bool(0.3);
    let mut limits = Limits {
        max_message_bytes: if rng.random_bool(0.7) {
            rng.random_range(4..64)
        } else {
            Limits::default().max_message_bytes
        },
        ..Limits::default()
    };
    if rng.random_bool(0.7) {
        limits.max_memory_bytes = rng.random_range(1..5) * 65_536;
    }
    if rng.random_bool(0.2) {
        limits.max_table_elements = rng.random_range(1..6);
    }
    let stop = if unlimited_fuel {
        limits.fuel_per_call = u64::MAX;
        limits.start_timeout = UNLIMITED_FUEL_TIMEOUT;
        limits.call_timeout = UNLIMITED_FUEL_TIMEOUT;
        limits.health_timeout = UNLIMITED_FUEL_TIMEOUT;
        UNLIMITED_FUEL_TIMEOUT
    } else {
        limits.fuel_per_call = if rng.random_bool(0.2) {
            1_000
        } else {
            SPIN_FUEL
        };
        DEFAULT_STOP_TIMEOUT
    };
    mark(rng);
    let mut steps = Vec::new();
    if rng.random_bool(0.85) {
        steps.push(Step::Start);
    }
    for _ in 0..rng.random_range(0..9) {
        steps.push(match rng.random_range(0..10) {
            0 => Step::Start,
            1 | 2 => Step::Health,
            3 => Step::Stop(stop),
            _ => Step::Send(WORDS[rng.random_range(0..WORDS.len())].as_bytes().to_vec()),
        });
    }
    if rng.random_bool(0.9) {
        steps.push(Step::Stop(stop));
    }
    let cycles = if rng.random_bool(0.1) {
        rng.random_range(2..4)
    } else {
        1
    };
    Trial {
        spec,
        profile,
        limits,
        steps,
        cycles,
        abi: Abi::Core,
    }
}

pub use crate::random::entropy;

/// Entropy one reduction away from `entropy`, most drastic first: cut to a half, a
/// quarter, ..., then each chunk zeroed. wasm-smith makes fewer and smaller items from
/// less and from zeroed choices.
pub fn smaller_entropy(entropy: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut len = entropy.len() / 2;
    while len > 0 {
        out.push(entropy[..len].to_vec());
        len /= 2;
    }
    let chunk = (entropy.len() / 16).max(1);
    for start in (0..entropy.len()).step_by(chunk) {
        let end = (start + chunk).min(entropy.len());
        if entropy[start..end].iter().any(|b| *b != 0) {
            let mut zeroed = entropy.to_vec();
            zeroed[start..end].fill(0);
            out.push(zeroed);
        }
    }
    out
}

/// The timeouts a smith module runs under: short, since it may loop forever.
pub fn smith_limits() -> Limits {
    Limits {
        start_timeout: Duration::from_millis(500),
        call_timeout: Duration::from_millis(200),
        health_timeout: Duration::from_millis(200),
        ..Limits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes cut where a draw's module ends keep its module, whatever follows; cut where
    /// its limits end, its module and limits. (When the new tail makes the draw open, a
    /// later draw is taken, and its module is another: those are skipped, and most are not.)
    #[test]
    fn a_cut_at_a_section_keeps_what_comes_before_it() {
        let (mut kept_module, mut kept_limits) = (0, 0);
        for seed in 0..60 {
            let bytes = seeded_bytes(seed);
            let drawn = draw(seed);
            let [module, limits, end] =
                draw_sections(&bytes, 16).expect("a seed's bytes draw exactly");
            assert!(module <= limits && limits <= end && end == bytes.len());
            let tail = seeded_bytes(seed + 1_000);
            for (cut, i) in [(module, 0), (limits, 1)] {
                let new = [&bytes[..cut], &tail[..]].concat();
                let redrawn = draw_from(&mut Stream::new(&new), 16).expect("exact");
                if draw_sections(&new, 16).map(|s| s[i]) != Some(cut) {
                    continue;
                }
                assert_eq!(redrawn.spec, drawn.spec, "seed {seed}, cut {cut}");
                if i == 0 {
                    kept_module += 1;
                } else {
                    assert_eq!(
                        (redrawn.profile, &redrawn.limits),
                        (drawn.profile, &drawn.limits)
                    );
                    kept_limits += 1;
                }
            }
        }
        assert!(
            kept_module > 30 && kept_limits > 30,
            "{kept_module}, {kept_limits} of 60"
        );
    }

    #[test]
    fn draws_are_exact_reproducible_and_varied() {
        let trials: Vec<Trial> = (0..300).map(draw).collect();
        assert_eq!(trials[7], draw(7));
        assert!(trials.iter().all(Trial::exact));
        let twice = |t: &Trial, s: fn(&Step) -> bool| t.steps.iter().filter(|x| s(x)).count() >= 2;
        assert!(trials.iter().any(|t| twice(t, |s| *s == Step::Start)));
        assert!(
            trials
                .iter()
                .any(|t| twice(t, |s| matches!(s, Step::Stop(_))))
        );
        assert!(
            trials
                .iter()
                .any(|t| matches!(t.steps.first(), Some(Step::Send(_))))
        );
        assert!(trials.iter().any(|t| t.cycles > 1));
        assert!(trials.iter().any(|t| t.profile == Profile::Standard));
        assert!(trials.iter().any(|t| !t.spec.imports.is_empty()));
        assert!(trials.iter().any(|t| !t.spec.data.is_empty()));
    }

    /// Most trials get past start, where most of the lifecycle is; the rest fail it in
    /// every way a start can fail.
    #[test]
    fn most_draws_start_and_the_rest_fail_in_many_ways() {
        use lifecycle_contract::Outcome;
        let (mut started, mut kinds) = (0, std::collections::BTreeSet::new());
        for seed in 0..500 {
            let summary = draw(seed).expected().unwrap().remove(0).summary;
            match summary.outcomes().find(|o| matches!(o, Outcome::Start(_))) {
                Some(Outcome::Start(Ok(()))) => started += 1,
                Some(Outcome::Start(Err(e))) => {
                    kinds.insert(e.kind());
                }
                _ => {}
            }
        }
        assert!(started >= 200, "{started} of 500 started");
        assert!(kinds.len() >= 6, "start failed only as {kinds:?}");
    }

    /// The loop's trial of a seed, drawn again from bytes: the seeded generator's own
    /// output read through the stream, redraws included.
    #[test]
    fn the_seeded_bytes_draw_the_seeds_trial() {
        for seed in 0..80 {
            let bytes = seeded_bytes(seed);
            assert_eq!(bytes.len() % 4, 0);
            let again = draw_from(&mut Stream::new(&bytes), 64);
            assert_eq!(again, Some(draw(seed)), "seed {seed}");
        }
    }

    /// The bytes steer the draw: a changed byte draws another trial; past their end the
    /// stream reads zeros, so bytes and the same bytes padded with zeros are one input.
    #[test]
    fn bytes_steer_the_draw_and_run_out_into_zeros() {
        let bytes = seeded_bytes(3);
        let first = draw_from(&mut Stream::new(&bytes), 64);
        // The first choice (a memory or not, 4 in 5 yes) made the other way.
        let mut changed = bytes.clone();
        let memory = u64::from_le_bytes(bytes[..8].try_into().unwrap()) < u64::MAX / 5 * 4;
        changed[..8].fill(if memory { 0xff } else { 0 });
        assert_ne!(draw_from(&mut Stream::new(&changed), 64), first);
        let mut padded = bytes.clone();
        padded.extend([0; 256]);
        assert_eq!(draw_from(&mut Stream::new(&padded), 64), first);
        let mut stream = Stream::new(&[1, 0, 0, 0, 2]);
        assert_eq!(
            (stream.next_u32(), stream.next_u64(), stream.left()),
            (1, 2, 0)
        );
        assert_eq!(stream.next_u32(), 0);
        // Nothing at all is a draw too, every choice the lowest, and one the oracle
        // predicts exactly: so any bytes draw an exact trial once they run out.
        assert!(draw_from(&mut Stream::new(&[]), 1).is_some());
    }

    #[test]
    fn every_reduction_is_lighter() {
        for seed in 0..50 {
            let t = draw(seed);
            for smaller in t.smaller() {
                assert!(smaller.weight() < t.weight(), "seed {seed}: {smaller:?}");
            }
        }
    }

    #[test]
    fn less_entropy_makes_a_valid_module() {
        let e = entropy(3);
        for smaller in smaller_entropy(&e).into_iter().take(4) {
            let bytes = crate::random::smith_from(&smaller, true);
            wasmparser::Validator::new().validate_all(&bytes).unwrap();
        }
    }
}
