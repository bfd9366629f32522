//! The oracle: the outcome the contract requires for a module, derived from its spec
//! alone, with no runtime involved. Every composition rule is here, once: the first
//! failing start step decides the start error, a failed component is never entered
//! again and never runs `_cleanup`, fuel is fresh for every guest entry, and so on.

mod guest;

use crate::encode::BUMP_START;
use crate::spec::{
    Behaviour, CALL_SITES, Entry, Export, MemoryExport, ModuleSpec, Trap, call_site,
};
use lifecycle_contract::error::{
    ExportReason, GuestFailure, RejectReason, Resource, ValidationReason,
};
use lifecycle_contract::exports::{ExportKind, LIFECYCLE_EXPORTS, MEMORY, MESSAGE_NEEDS};
use lifecycle_contract::limits::{MAX_TABLES, WASM_PAGE_BYTES};
use lifecycle_contract::message::{Decoded, decode, in_bounds};
use lifecycle_contract::{
    Abi, CallOutcome, Error, Fault, GuestCall, Health, Limits, Operation, Outcome, Profile, Script,
    Stage, State, Step, Summary, TrapCode, Warning,
};
use std::collections::HashMap;
use std::time::Duration;

/// Fuel a spinning guest burns in well under a second on any machine this kit runs on,
/// so with a wall clock of a second or more, fuel is sure to run out first (and with
/// `k` seconds, `k` times this much).
pub const FUEL_SURELY_BEFORE_ONE_SECOND: u64 = 20_000_000;
/// Fuel that surely outlasts any engine's stack in a recursion (found by fuzzing: with
/// 1 000 fuel a recursion runs out of fuel first, and which comes first is the engine's
/// call; below this the oracle does not guess).
pub const FUEL_SURELY_OUTLASTS_THE_STACK: u64 = 10_000_000;
/// Fuel that surely covers growing memory by a few pages. Engines may charge
/// `memory.grow` by the bytes it adds (wasmi does: found by fuzzing, where 1 000 fuel
/// ran out growing one page); below this the oracle does not guess.
pub const FUEL_SURELY_COVERS_GROWTH: u64 = 1_000_000;
/// Fuel per iteration of [`Behaviour::Burn`]'s loop: a bound each way, not an engine's
/// exact count (which no conformance check may depend on). Wasmtime charges 8 for its
/// eight instructions; any engine within 4x of that either way conforms. Between the
/// bounds, whether a burn fits its budget is the engine's to decide (see
/// [`expect_steps_any`]).
pub const BURN_FUEL_PER_ITERATION: (u64, u64) = (2, 32);

/// The oracle will not guess: the outcome would depend on timing or exact fuel counts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the outcome is not determined by the contract: {0}")]
pub struct Ambiguous(pub String);

/// A module as the oracle sees it.
#[derive(Clone, Copy)]
pub enum Modelled<'a> {
    Spec(&'a ModuleSpec),
    /// The component of a spec ([`crate::canonical::component`]), run with the component
    /// ABI (SPEC.md §8).
    Component(&'a ModuleSpec),
    /// Bytes that cannot start, with the error start must give.
    Unstartable(&'a Error),
}

impl<'a> Modelled<'a> {
    /// `spec` run through `abi`: its core module, or its component.
    pub fn of(spec: &'a ModuleSpec, abi: Abi) -> Modelled<'a> {
        match abi {
            Abi::Core => Modelled::Spec(spec),
            Abi::Component => Modelled::Component(spec),
        }
    }
}

/// Fuel the canonical exports of a generated component spend around the spec's own
/// functions in one call (a few dozen instructions; `cabi_realloc` included), taken
/// from the budget before the spec's behaviour runs: the oracle does not model a
/// component whose budget is below it.
pub const COMPONENT_WRAPPER_FUEL: u64 = 1_000;

/// What one guest call gets: fresh fuel and the wall clock of its operation.
#[derive(Clone, Copy)]
struct Budget {
    fuel: u64,
    timeout: Duration,
}

type Call = Result<Result<i64, GuestFailure>, Ambiguous>;

struct Sim<'a> {
    spec: ModuleSpec,
    abi: Abi,
    profile: Profile,
    limits: &'a Limits,
    state: State,
    transitions: Vec<(State, State)>,
    memory_pages: u64,
    table_elements: u64,
    /// Bytes written to linear memory; everything else reads as 0.
    memory: HashMap<u64, u8>,
    next: u32,
    calls: [u32; CALL_SITES],
    /// The guest calls of the operation in progress.
    made: Vec<GuestCall>,
    /// Whether [`Behaviour::Calibrate`] has counted a whole fuel budget.
    calibrated: bool,
    /// What the engine's fuel cost decides (see [`expect_steps_any`]): whether a burn of
    /// `n` iterations fits a fresh budget of `fuel`, given in the order first needed and
    /// kept by `(n, fuel)`, since one engine decides the same burn the same way.
    decisions: &'a [bool],
    decided: std::collections::BTreeMap<Decision, bool>,
    /// A burn needed a decision that `decisions` did not give.
    undecided: bool,
}

/// What the engine or the machine decides, and the contract leaves open: whether a loop
/// of `n` iterations fits a fresh budget of `fuel` (the engine's fuel cost), or ends
/// before a deadline `timeout` away (the machine's speed). One engine on one machine
/// decides the same question the same way within a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Decision {
    Fits { n: u64, fuel: u64 },
    InTime { n: u64, timeout: Duration },
}

/// Why a simulation stopped short.
enum Stop {
    Ambiguous(Ambiguous),
    /// More decisions are needed (see [`Sim::decisions`]).
    Undecided,
}

/// The outcome the contract requires for `module` run with `script`.
pub fn expect(
    module: Modelled,
    profile: Profile,
    limits: &Limits,
    script: &Script,
) -> Result<Summary, Ambiguous> {
    expect_steps(module, profile, limits, &script.steps())
}

/// The outcome the contract requires for `module` put through `steps`, in order, on one
/// component (operations its state does not allow give `invalid_state`). Ambiguous when
/// more than one outcome conforms (see [`expect_steps_any`]).
pub fn expect_steps(
    module: Modelled,
    profile: Profile,
    limits: &Limits,
    steps: &[Step],
) -> Result<Summary, Ambiguous> {
    let mut all = expect_steps_any(module, profile, limits, steps)?;
    match all.len() {
        1 => Ok(all.remove(0)),
        n => Err(Ambiguous(format!(
            "{n} outcomes conform, depending on what one loop iteration costs in fuel on the engine"
        ))),
    }
}

/// One outcome the contract allows, with the linear memory the component has after each
/// step (what a runtime's counters must show at least, while it is `ready`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prediction {
    pub summary: Summary,
    pub memory_bytes: Vec<u64>,
}

/// Every outcome the contract allows for `module` put through `steps`: the summaries of
/// [`predict_steps_any`].
pub fn expect_steps_any(
    module: Modelled,
    profile: Profile,
    limits: &Limits,
    steps: &[Step],
) -> Result<Vec<Summary>, Ambiguous> {
    Ok(predict_steps_any(module, profile, limits, steps)?
        .into_iter()
        .map(|p| p.summary)
        .collect())
}

/// Every outcome the contract allows for `module` put through `steps`. There is more
/// than one only where the engine or the machine decides (see `Decision`): a loop of
/// `n` iterations on a fresh budget either fits or runs out, depending on what an
/// iteration costs on that engine, which the contract does not fix; a
/// [`Behaviour::Linger`] with unlimited fuel ends before its deadline or not, depending
/// on the machine. One engine decides the same question the same way within a run, so
/// the outcomes are the consistent choices, not every mix of them: a runtime whose two
/// calls of the same loop disagree (the second running out because its budget was not
/// fresh) matches none.
pub fn predict_steps_any(
    module: Modelled,
    profile: Profile,
    limits: &Limits,
    steps: &[Step],
) -> Result<Vec<Prediction>, Ambiguous> {
    const MOST: usize = 16;
    let mut found: Vec<Prediction> = Vec::new();
    let mut todo: Vec<Vec<bool>> = vec![Vec::new()];
    while let Some(decisions) = todo.pop() {
        match simulate(module, profile, limits, steps, &decisions) {
            Ok(prediction) if found.iter().any(|p| p.summary == prediction.summary) => {}
            Ok(prediction) => found.push(prediction),
            Err(Stop::Ambiguous(why)) => return Err(why),
            Err(Stop::Undecided) => {
                for fits in [false, true] {
                    let mut more = decisions.clone();
                    more.push(fits);
                    todo.push(more);
                }
            }
        }
        if found.len() + todo.len() > MOST {
            return Err(Ambiguous(format!(
                "more than {MOST} outcomes conform, depending on the engine's fuel cost"
            )));
        }
    }
    Ok(found)
}

/// One run of the simulation, with the engine's decisions given in `decisions`.
fn simulate(
    module: Modelled,
    profile: Profile,
    limits: &Limits,
    steps: &[Step],
    decisions: &[bool],
) -> Result<Prediction, Stop> {
    let (spec, abi) = match module {
        Modelled::Spec(spec) => (spec.resolved(), Abi::Core),
        Modelled::Component(spec) => {
            crate::canonical::applies(spec).map_err(|why| {
                Stop::Ambiguous(Ambiguous(format!("the spec has no component form: {why}")))
            })?;
            let mut resolved = spec.resolved();
            resolved.memory = Some(crate::canonical_abi::memory(&resolved));
            (resolved, Abi::Component)
        }
        Modelled::Unstartable(_) => (ModuleSpec::new(), Abi::Core),
    };
    let mut sim = Sim {
        abi,
        memory_pages: spec.memory.map_or(0, |m| m.initial.into()),
        table_elements: spec.table.map_or(0, |t| t.initial.into()),
        spec,
        profile,
        limits,
        state: State::Creating,
        transitions: Vec::new(),
        memory: HashMap::new(),
        next: BUMP_START,
        calls: [0; CALL_SITES],
        made: Vec::new(),
        calibrated: false,
        decisions,
        decided: Default::default(),
        undecided: false,
    };
    let mut ops = Vec::new();
    let mut memory_bytes = Vec::new();
    for step in steps {
        let outcome = match step {
            Step::Start => sim.start(&module).map(Outcome::Start),
            Step::Send(message) => sim.message(message).map(|reply| Outcome::Message {
                message: message.clone(),
                reply,
            }),
            Step::Health => sim.health().map(Outcome::Health),
            Step::Stop(timeout) => sim.stop(*timeout).map(Outcome::Stop),
        };
        let outcome = outcome.map_err(|why| match sim.undecided {
            true => Stop::Undecided,
            false => Stop::Ambiguous(why),
        })?;
        ops.push(Operation::new(outcome, std::mem::take(&mut sim.made)));
        memory_bytes.push(sim.memory_bytes());
    }
    let summary = Summary {
        ops,
        transitions: sim.transitions,
        final_state: sim.state,
        live_instances: 0,
        accounted_memory_bytes: 0,
    };
    Ok(Prediction {
        summary,
        memory_bytes,
    })
}

fn fail(stage: Stage, fault: Fault) -> Error {
    Error::new(stage, fault)
}

impl Sim<'_> {
    /// start(): allowed only in `creating`; every step in order (SPEC LC-STATE-3, SPEC.md §2).
    fn start(&mut self, module: &Modelled) -> Result<Result<(), Error>, Ambiguous> {
        if self.state != State::Creating {
            return Ok(Err(fail(
                Stage::Load,
                Fault::InvalidState { state: self.state },
            )));
        }
        self.transition(State::Starting);
        let result = match module {
            Modelled::Unstartable(error) => Err((*error).clone()),
            Modelled::Spec(_) | Modelled::Component(_) => self.start_steps()?,
        };
        self.transition(if result.is_ok() {
            State::Ready
        } else {
            State::Failed
        });
        Ok(result)
    }

    fn transition(&mut self, to: State) {
        assert!(
            self.state.can_become(to),
            "oracle bug: {} -> {to}",
            self.state
        );
        self.transitions.push((self.state, to));
        self.state = to;
    }

    fn memory_bytes(&self) -> u64 {
        self.memory_pages * WASM_PAGE_BYTES
    }

    fn behaviour(&self, slot: Entry) -> Option<Behaviour> {
        match self.spec.slot(slot) {
            Some(Export::Func(b)) => Some(b.clone()),
            // A component has every function of the world: one the spec lacks returns
            // what the core ABI's absence means (`ok`, `healthy`, no reply).
            // Without `alloc`, `cabi_realloc` answers with the bump allocator's start.
            None if self.abi == Abi::Component && slot == Entry::Alloc => {
                Some(Behaviour::Value(BUMP_START.into()))
            }
            None if self.abi == Abi::Component => Some(Behaviour::Return),
            _ => None,
        }
    }

    /// Start steps 3 to 8 (1 and 2 cannot fail for a generated module).
    fn start_steps(&mut self) -> Result<Result<(), Error>, Ambiguous> {
        let spec = self.spec.clone();
        if spec.invalid_body {
            return Ok(Err(fail(
                Stage::Validate,
                Fault::ValidationFailed {
                    reason: ValidationReason::Malformed,
                },
            )));
        }
        if !spec.features_outside(self.profile.features()).is_empty() {
            let reason = ValidationReason::UnsupportedFeature;
            return Ok(Err(fail(
                Stage::Validate,
                Fault::ValidationFailed { reason },
            )));
        }
        if let Err(e) = self.check_exports() {
            return Ok(Err(e));
        }
        if let Some(import) = spec.imports.first() {
            let import = format!("{}::{}", import.module, import.name);
            return Ok(Err(fail(Stage::Link, Fault::LinkFailed { import })));
        }
        let exceeded = |resource| {
            Ok(Err(fail(
                Stage::Instantiate,
                Fault::ResourceLimitExceeded { resource },
            )))
        };
        if !self.limits.admits_memory(self.memory_bytes()) {
            return exceeded(Resource::Memory);
        }
        let tables = spec.table.is_some() as usize + spec.extra_tables as usize;
        if tables > MAX_TABLES || !self.limits.admits_table(self.table_elements) {
            return exceeded(Resource::Table);
        }
        let trapped = |trap| Ok(Err(fail(Stage::Instantiate, Fault::Trapped { trap })));
        if spec
            .elems
            .iter()
            .any(|&(at, n)| u64::from(at) + u64::from(n) > self.table_elements)
        {
            return trapped(TrapCode::TableOutOfBounds);
        }
        if spec
            .data
            .iter()
            .any(|&(at, n)| !in_bounds(at.into(), n.into(), self.memory_bytes()))
        {
            return trapped(TrapCode::MemoryOutOfBounds);
        }
        for &(at, n) in &spec.data {
            for a in at..at + n {
                self.memory.insert(a.into(), 0xa5);
            }
        }
        let budget = Budget {
            fuel: self.limits.fuel_per_call,
            timeout: self.limits.start_timeout,
        };
        if let Some(b) = &spec.start_section
            && let Err(f) = self.run(b, None, budget, &[])?
        {
            return Ok(Err(fail(Stage::Instantiate, f.into())));
        }
        if let Some(b) = self.behaviour(Entry::Start)
            && let Err(f) = self.run(&b, Some(Entry::Start), budget, &[])?
        {
            return Ok(Err(fail(Stage::Start, f.into())));
        }
        if let Some(reason) = self.refusal(Entry::Start) {
            return Ok(Err(fail(Stage::Start, Fault::StartRefused { reason })));
        }
        Ok(Ok(()))
    }

    /// The case `initialize` or `shutdown` refuses with, on a component (the core ABI's
    /// `_start` and `_cleanup` have no result).
    fn refusal(&self, slot: Entry) -> Option<lifecycle_contract::abi::Refusal> {
        match self.abi {
            Abi::Core => None,
            Abi::Component => crate::canonical_abi::refusal(self.spec.slot(slot)),
        }
    }

    fn check_exports(&self) -> Result<(), Error> {
        let bad = |export: &str, reason| {
            Err(fail(
                Stage::Exports,
                Fault::BadExport {
                    export: export.into(),
                    reason,
                },
            ))
        };
        let memory_export = self.spec.memory.map(|m| m.export);
        for export in LIFECYCLE_EXPORTS {
            match export.kind {
                ExportKind::Memory => {
                    if memory_export == Some(MemoryExport::WrongKind) {
                        return bad(MEMORY, ExportReason::NotAMemory);
                    }
                }
                ExportKind::Func { .. } => {
                    let slot = Entry::ALL
                        .iter()
                        .copied()
                        .find(|s| s.as_str() == export.name)
                        .expect("a slot per function export");
                    match self.spec.slot(slot) {
                        Some(Export::WrongKind) => {
                            return bad(export.name, ExportReason::NotAFunction);
                        }
                        Some(Export::WrongSignature) => {
                            return bad(export.name, ExportReason::WrongSignature);
                        }
                        _ => {}
                    }
                }
            }
        }
        if self.spec.slot(Entry::HandleMessage).is_some() {
            for &need in MESSAGE_NEEDS {
                let present = if need == MEMORY {
                    memory_export == Some(MemoryExport::Exported)
                } else {
                    self.spec.slot(Entry::Alloc).is_some()
                };
                if !present {
                    return bad(need, ExportReason::Missing);
                }
            }
        }
        Ok(())
    }

    fn message(&mut self, message: &[u8]) -> Result<Result<Vec<u8>, Error>, Ambiguous> {
        let stage = Stage::HandleMessage;
        if self.state != State::Ready {
            return Ok(Err(fail(stage, Fault::InvalidState { state: self.state })));
        }
        let Some(handler) = self.behaviour(Entry::HandleMessage) else {
            return Ok(Err(fail(
                stage,
                Fault::MissingExport {
                    export: Entry::HandleMessage.as_str().into(),
                },
            )));
        };
        let rejected = |reason| Ok(Err(fail(stage, Fault::MessageRejected { reason })));
        let len = message.len() as u64;
        if !self.limits.admits_message(len) || u32::try_from(len).is_err() {
            return rejected(RejectReason::TooLarge);
        }
        let budget = Budget {
            fuel: self.limits.fuel_per_call,
            timeout: self.limits.call_timeout,
        };
        let alloc = self.behaviour(Entry::Alloc).expect("checked export");
        let ptr = match self.allocate(&alloc, budget, len as u32)? {
            Ok(ptr) => ptr as u64 & 0xffff_ffff,
            Err(failure) => return Ok(Err(self.fatal(failure))),
        };
        if !in_bounds(ptr, len, self.memory_bytes()) {
            if self.abi == Abi::Component {
                // LC-CM-9: the host cannot lower the message there.
                return Ok(Err(self.unliftable(Entry::HandleMessage)));
            }
            return rejected(RejectReason::AllocOutOfBounds);
        }
        self.write(ptr, message);
        let result = match self.run(
            &handler,
            Some(Entry::HandleMessage),
            budget,
            &[ptr as u32, len as u32],
        )? {
            Ok(result) => result,
            Err(failure) => return Ok(Err(self.fatal(failure))),
        };
        Ok(match decode(result) {
            Decoded::AppError(code) => Err(fail(stage, Fault::MessageError { code })),
            Decoded::NoReply => Ok(Vec::new()),
            Decoded::Reply { ptr, len } if !in_bounds(ptr, len, self.memory_bytes()) => {
                if self.abi == Abi::Component {
                    // LC-CM-9: the host cannot lift the reply.
                    self.made.pop();
                    return Ok(Err(self.unliftable(Entry::HandleMessage)));
                }
                return rejected(RejectReason::ReplyOutOfBounds);
            }
            Decoded::Reply { len, .. } if !self.limits.admits_message(len) => {
                return rejected(RejectReason::ReplyTooLarge);
            }
            Decoded::Reply { ptr, len } => Ok(self.read(ptr, len)),
        })
    }

    /// A value of `entry`'s call the host cannot lift or lower (LC-CM-9): the call's
    /// failure, reported as its guest call's, and fatal.
    fn unliftable(&mut self, entry: Entry) -> Error {
        let failure = GuestFailure::Trapped(TrapCode::InvalidCanonicalValue);
        let outcome = CallOutcome::from(&Err::<(), _>(failure));
        self.made.push(GuestCall::new(entry, outcome));
        self.fatal(failure)
    }

    fn fatal(&mut self, failure: GuestFailure) -> Error {
        self.transition(State::Failed);
        fail(Stage::HandleMessage, failure.into())
    }

    fn health(&mut self) -> Result<Health, Ambiguous> {
        if self.state != State::Ready {
            return Ok(Health::for_state(self.state));
        }
        let Some(b) = self.behaviour(Entry::Health) else {
            return Ok(Health::HEALTHY);
        };
        let budget = Budget {
            fuel: self.limits.fuel_per_call,
            timeout: self.limits.health_timeout,
        };
        Ok(match self.run(&b, Some(Entry::Health), budget, &[])? {
            Ok(code) if self.abi == Abi::Component && !(0..=3).contains(&(code as i32)) => {
                // LC-CM-9: the host cannot lift the status; no guest code trapped, so
                // the instance may be entered again (LC-HEALTH-3).
                self.made.pop();
                let failure = GuestFailure::Trapped(TrapCode::InvalidCanonicalValue);
                self.made.push(GuestCall::new(
                    Entry::Health,
                    CallOutcome::from(&Err::<(), _>(failure)),
                ));
                Health::from_failure(failure)
            }
            Ok(code) => Health::from_code(code as i32),
            Err(_) if self.abi == Abi::Component => {
                return Err(not_modelled("a component entered after a failed call"));
            }
            Err(failure) => Health::from_failure(failure),
        })
    }

    fn stop(&mut self, timeout: Duration) -> Result<Result<Vec<Warning>, Error>, Ambiguous> {
        if self.state == State::Terminated {
            return Ok(Ok(Vec::new()));
        }
        let was_ready = self.state == State::Ready;
        self.transition(State::Stopping);
        let mut warnings = Vec::new();
        if was_ready && let Some(b) = self.behaviour(Entry::Cleanup) {
            let budget = Budget {
                fuel: self.limits.fuel_per_call,
                timeout,
            };
            match self.run(&b, Some(Entry::Cleanup), budget, &[])? {
                Err(failure) => warnings.push(Warning::from(failure)),
                Ok(_) => warnings.extend(
                    self.refusal(Entry::Cleanup)
                        .map(|reason| Warning::CleanupRefused { reason }),
                ),
            }
        }
        self.transition(State::Terminated);
        Ok(Ok(warnings))
    }
}

/// What the oracle does not model on the component ABI yet (SPEC.md §8's open clauses):
/// no case is made of it.
fn not_modelled(what: &str) -> Ambiguous {
    Ambiguous(format!("{what} on the component ABI is not modelled"))
}
