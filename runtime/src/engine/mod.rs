//! The engine seam: what the lifecycle needs from a WebAssembly engine, and nothing more.
//!
//! The lifecycle ([`crate::lifecycle`]) owns every rule of the contract: the states and
//! their table, admission, the start-step order, the export, link and limit checks, the
//! message ABI, health and stop. A backend owns only what differs between engines: its
//! configuration, compiling, instantiating, how fuel and deadlines are enforced, how a
//! trap is classified, and the glue that puts the lifecycle's [`Limiter`] on a store.
//! A new engine is one new backend file implementing [`Engine`] and [`Guest`].
//!
//! Invariants every backend keeps (the conformance suite checks them all):
//! * a [`Guest`] is one live instance: it owns the [`Limiter`] it was instantiated with
//!   from instantiation until it is dropped, and that limiter is asked before every
//!   memory or table growth, in instantiation and in calls; a refusal fails the growth
//!   (`memory.grow` returns -1), it never traps;
//! * fuel: [`Guest::set_fuel`] sets the budget the calls that follow draw from; a call
//!   that spends it ends in [`GuestFailure::FuelExhausted`];
//! * wall clock: [`Guest::arm_deadline`] starts one budget shared by the calls that
//!   follow; past it a call ends in [`GuestFailure::Timeout`] within milliseconds, even a
//!   loop that never calls out, and without blocking the async executor meanwhile;
//! * [`Engine::instantiate`] arms the deadline and sets the fuel it is given before the
//!   wasm `start` section runs, and reports what stopped it as a [`Stopped`].
//!
//! Backends know nothing of stages or of the error taxonomy: the lifecycle turns what
//! an engine reports into the contract's errors.

/// The contract's [`TrapCode`] for an engine's trap enum, where the engine names its
/// traps after the spec's (Wasmtime's `Trap` and wasmi's `TrapCode` both do): one table
/// for every backend. Traps the contract does not name are `other`.
macro_rules! spec_trap {
    ($trap:expr, $($enum:ident)::+) => {{
        use lifecycle_contract::TrapCode;
        match $trap {
            $($enum)::+::StackOverflow => TrapCode::StackOverflow,
            $($enum)::+::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
            $($enum)::+::TableOutOfBounds => TrapCode::TableOutOfBounds,
            $($enum)::+::IndirectCallToNull => TrapCode::IndirectCallToNull,
            $($enum)::+::BadSignature => TrapCode::BadSignature,
            $($enum)::+::IntegerOverflow => TrapCode::IntegerOverflow,
            $($enum)::+::IntegerDivisionByZero => TrapCode::IntegerDivideByZero,
            $($enum)::+::BadConversionToInteger => TrapCode::BadConversionToInteger,
            $($enum)::+::UnreachableCodeReached => TrapCode::Unreachable,
            _ => TrapCode::Other,
        }
    }};
}

pub mod wasmi;
pub mod wasmtime;

pub use crate::accounting::Limiter;
use lifecycle_contract::abi::Refusal;
use lifecycle_contract::{Abi, Entry, Event, GuestFailure, Limits, Profile};
use std::future::Future;
use std::time::Duration;

/// A module the host validated that the engine could not compile: the engine's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

/// A WebAssembly engine the lifecycle can run components on.
pub trait Engine: Send + Sync + Sized + 'static {
    /// A compiled module, kept in the runtime's cache and instantiated many times.
    type Module: Clone + Send + Sync + 'static;
    /// A live instance.
    type Guest: Guest;

    /// The name reports give a runtime on this engine (`reference`, `wasmi`).
    const NAME: &'static str;
    /// The engine and its version, for reports (`wasmtime 48`).
    const VERSION: &'static str;
    /// Whether guest calls are metered with fuel.
    fn meters_fuel(&self) -> bool {
        true
    }

    /// Whether the engine runs Component Model components ([`Abi::Component`]).
    fn runs_components(&self) -> bool {
        false
    }

    /// The most any instance of this engine can hold, whatever a component's limits
    /// allow (a pool's slot size). The lifecycle holds every component to the lower of
    /// its limits and these, in its checks and its limiter alike.
    fn ceilings(&self) -> Ceilings {
        Ceilings::default()
    }

    /// Compiles `bytes`, already validated under `profile` as a guest of `abi` (start
    /// step 5). Blocking: the lifecycle calls it off the async executor's threads. Why a
    /// valid module could not be compiled is the engine's message (the lifecycle reports
    /// `load_failed`); an engine that does not run components says so here.
    fn compile(
        &self,
        profile: Profile,
        abi: Abi,
        bytes: &[u8],
    ) -> Result<Self::Module, CompileError>;

    /// Instantiates `module` (start step 7) as `how` says, running the wasm `start`
    /// section.
    fn instantiate(
        &self,
        module: &Self::Module,
        how: Instantiate,
    ) -> impl Future<Output = Result<Self::Guest, Stopped>> + Send;

    /// Lets go of a live instance. The lifecycle releases every guest through here.
    fn release(&self, guest: Self::Guest, why: Release) {
        let _ = why;
        drop(guest);
    }
}

/// The most an engine's instances can hold; `None`: no bound of the engine's own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ceilings {
    pub memory_bytes: Option<u64>,
    pub table_elements: Option<u64>,
}

impl Ceilings {
    /// `limits`, lowered to these ceilings.
    pub fn cap(self, limits: &Limits) -> Limits {
        let lower = |limit: u64, ceiling: Option<u64>| ceiling.map_or(limit, |c| limit.min(c));
        Limits {
            max_memory_bytes: lower(limits.max_memory_bytes, self.memory_bytes),
            max_table_elements: lower(limits.max_table_elements, self.table_elements),
            ..limits.clone()
        }
    }
}

/// How to instantiate: the limiter to install on the new store, the fuel to set and the
/// deadline to arm before the wasm `start` section runs.
pub struct Instantiate {
    pub limiter: Box<dyn Limiter>,
    pub fuel: u64,
    pub timeout: Duration,
}

/// What stopped an instantiation, with the engine's own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Guest code in it (a segment, the wasm `start` section) trapped, ran out of fuel or
    /// ran out of time.
    Guest {
        failure: GuestFailure,
        detail: String,
    },
    /// The host could not make the instance (out of memory, address space or pool
    /// slots): no fault of the guest's, never reported as a trap.
    Exhausted { detail: String },
}

/// Why the lifecycle lets go of a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Stopped, after `_cleanup`.
    Stopped,
    /// `_start` (or a check after instantiation) failed.
    StartFailed,
    /// A fatal failure in a message.
    Failed,
    /// The component was dropped while `ready`.
    Dropped,
    /// The caller dropped an operation's future midway.
    Abandoned,
}

/// A call of one lifecycle export, with its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Start,
    Cleanup,
    Health,
    Alloc { len: u32 },
    HandleMessage { ptr: u32, len: u32 },
}

impl Call {
    pub fn entry(self) -> Entry {
        match self {
            Call::Start => Entry::Start,
            Call::Cleanup => Entry::Cleanup,
            Call::Health => Entry::Health,
            Call::Alloc { .. } => Entry::Alloc,
            Call::HandleMessage { .. } => Entry::HandleMessage,
        }
    }
}

/// A call of a function of the world's `lifecycle` interface (SPEC.md §8): the host
/// lowers the arguments and lifts the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorldCall<'a> {
    /// `initialize(config)`, for `_start`.
    Initialize(&'a [(String, String)]),
    /// `handle-message(message)`, for `alloc` and `handle-message`.
    HandleMessage(&'a [u8]),
    /// `health()`, for `_health`.
    Health,
    /// `shutdown()`, for `_cleanup`.
    Shutdown,
}

impl WorldCall<'_> {
    /// The core ABI's entry this call stands for.
    pub fn entry(self) -> Entry {
        match self {
            WorldCall::Initialize(_) => Entry::Start,
            WorldCall::HandleMessage(_) => Entry::HandleMessage,
            WorldCall::Health => Entry::Health,
            WorldCall::Shutdown => Entry::Cleanup,
        }
    }
}

/// What a function of the world returned, lifted by the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lifted {
    /// `ok` from `initialize` or `shutdown`.
    Done,
    /// `err(component-error)` from `initialize` or `shutdown`: which case.
    Refused(Refusal),
    /// `ok(reply)` from `handle-message`.
    Reply(Option<Vec<u8>>),
    /// `err(application-error)` from `handle-message`: its code.
    ApplicationError(u64),
    /// `health()`'s status as the core ABI's code: 0 healthy, 1 degraded, 2 unhealthy,
    /// 3 unknown.
    Health(i32),
}

/// One live instance of a module or component.
pub trait Guest: Send + 'static {
    /// The interface the host talks to this instance through.
    fn abi(&self) -> Abi;
    /// Whether the instance exports `entry` with the contract's signature. A component
    /// has every entry of the world (its type was checked) and no `alloc`.
    fn exports(&self, entry: Entry) -> bool;
    /// Sets the fuel the following calls draw from.
    fn set_fuel(&mut self, fuel: u64);
    /// Starts a wall-clock budget for the calls that follow.
    fn arm_deadline(&mut self, timeout: Duration);
    /// Calls a core export the instance has ([`Abi::Core`]). The result as `i64`:
    /// `alloc`'s and `_health`'s `i32` sign-extended, 0 for exports without results.
    fn call(&mut self, call: Call) -> impl Future<Output = Result<i64, GuestFailure>> + Send;
    /// Calls a function of the world ([`Abi::Component`]). A value the host cannot lift
    /// is a failure of the call.
    fn call_world(
        &mut self,
        call: WorldCall<'_>,
    ) -> impl Future<Output = Result<Lifted, GuestFailure>> + Send;
    /// The size of the exported `memory` in bytes (0 without one).
    fn memory_size(&self) -> u64;
    /// Bytes of the exported memory; the lifecycle checked the range is in bounds.
    fn read(&self, ptr: u64, len: u64) -> Vec<u8>;
    /// Writes into the exported memory; the lifecycle checked the range is in bounds.
    fn write(&mut self, ptr: u64, bytes: &[u8]);
    /// The growth its limiter refused since the last call, oldest first.
    fn take_denied(&mut self) -> Vec<Event>;
}

/// A backend's typed function for each signature of the lifecycle exports.
pub trait Signatures {
    /// `_start` and `_cleanup`: `() -> ()`.
    type Unit: Clone;
    /// `_health`: `() -> i32`.
    type Health: Clone;
    /// `handle-message`: `(i32, i32) -> i64`.
    type HandleMessage: Clone;
    /// `alloc`: `i32 -> i32`.
    type Alloc: Clone;
}

/// The lifecycle exports an instance has with the contract's signatures, looked up once
/// per instance by its backend.
pub struct Exports<S: Signatures> {
    pub start: Option<S::Unit>,
    pub cleanup: Option<S::Unit>,
    pub health: Option<S::Health>,
    pub handle_message: Option<S::HandleMessage>,
    pub alloc: Option<S::Alloc>,
}

impl<S: Signatures> Exports<S> {
    /// Whether the instance exports `entry` with the contract's signature.
    pub fn has(&self, entry: Entry) -> bool {
        match entry {
            Entry::Start => self.start.is_some(),
            Entry::Cleanup => self.cleanup.is_some(),
            Entry::Health => self.health.is_some(),
            Entry::HandleMessage => self.handle_message.is_some(),
            Entry::Alloc => self.alloc.is_some(),
        }
    }

    /// Whether the instance exports any lifecycle function: whether it will be called.
    pub fn any(&self) -> bool {
        Entry::ALL.iter().any(|&entry| self.has(entry))
    }
}

/// One thing per feature profile (a backend's engines).
pub struct PerProfile<T>(Vec<(Profile, T)>);

impl<T> PerProfile<T> {
    /// One `T` for each profile, or the first error.
    pub fn try_new<E>(mut make: impl FnMut(Profile) -> Result<T, E>) -> Result<Self, E> {
        let each = Profile::ALL.iter().map(|&p| make(p).map(|t| (p, t)));
        each.collect::<Result<_, _>>().map(PerProfile)
    }

    pub fn get(&self, profile: Profile) -> &T {
        let found = self.0.iter().find(|(p, _)| *p == profile);
        // `try_new` made one for every profile.
        &found.unwrap_or(&self.0[0]).1
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|(_, t)| t)
    }
}

/// `len` bytes of `data` from `ptr`, or none if that is out of bounds.
pub fn bytes_at(data: &[u8], ptr: u64, len: u64) -> Vec<u8> {
    let range = usize::try_from(ptr)
        .ok()
        .zip(usize::try_from(ptr.saturating_add(len)).ok());
    range
        .and_then(|(start, end)| data.get(start..end))
        .unwrap_or_default()
        .to_vec()
}
