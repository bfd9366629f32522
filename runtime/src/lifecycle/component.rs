//! A component: one actor's module moving through the lifecycle (SPEC.md §1–§5).
//!
//! Invariants:
//! * the state is [`Phase`], and only `Phase::Ready` holds a guest: a component holds a
//!   live instance exactly while it is `ready`, by construction;
//! * every state change goes through [`Component::transition`], and so through the one
//!   transition table ([`State::can_become`]); each change is reported as an event;
//! * every guest the component lets go of goes back through [`Engine::release`];
//! * an operation whose future is dropped midway leaves a state from which the contract
//!   lets the component go on ([`Ongoing`]).

use super::Runtime;
use super::log::EventLog;
use crate::accounting::Accounting;
use crate::engine::{Call, Engine, Guest, Instantiate, Lifted, Release, Stopped, WorldCall};
use crate::source::ModuleSource;
use lifecycle_contract::abi::Refusal;
use lifecycle_contract::{
    Abi, CallOutcome, Entry, Error, Event, Fault, GuestCall, GuestFailure, Health, Limits, Profile,
    Resource, Stage, State, Warning,
};
use std::ops::{Deref, DerefMut};
use std::time::Duration;

/// How a component is run: the interface its guest is run through, its feature profile
/// and its limits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComponentConfig {
    pub abi: Abi,
    pub profile: Profile,
    pub limits: Limits,
}

/// The state, holding the guest where there is one.
enum Phase<G> {
    Creating,
    Starting,
    Ready(G),
    Stopping,
    Failed,
    Terminated,
}

impl<G> Phase<G> {
    fn state(&self) -> State {
        match self {
            Phase::Creating => State::Creating,
            Phase::Starting => State::Starting,
            Phase::Ready(_) => State::Ready,
            Phase::Stopping => State::Stopping,
            Phase::Failed => State::Failed,
            Phase::Terminated => State::Terminated,
        }
    }
}

pub struct Component<E: Engine> {
    runtime: Runtime<E>,
    source: ModuleSource,
    config: ComponentConfig,
    phase: Phase<E::Guest>,
    events: EventLog,
}

impl<E: Engine> Component<E> {
    pub(super) fn new(runtime: Runtime<E>, source: ModuleSource, config: ComponentConfig) -> Self {
        Component {
            runtime,
            source,
            config,
            phase: Phase::Creating,
            events: EventLog::default(),
        }
    }

    pub fn state(&self) -> State {
        self.phase.state()
    }

    pub fn config(&self) -> &ComponentConfig {
        &self.config
    }

    /// The events since they were last taken, oldest first: all of them, up to the
    /// last [`RETAINED`](super::log::RETAINED) at least (the log is bounded, so a
    /// long-lived component does not grow by every message).
    pub fn events(&self) -> &[Event] {
        self.events.as_slice()
    }

    /// Takes the events so far, leaving none.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.events.take()
    }

    /// Events dropped, oldest first, to keep the log bounded (0 if events are taken
    /// at least every [`RETAINED`](super::log::RETAINED) events).
    pub fn events_dropped(&self) -> u64 {
        self.events.dropped()
    }

    /// Runs the start steps (SPEC.md §2). Allowed only in `creating`.
    pub async fn start(&mut self) -> Result<(), Error> {
        if self.state() != State::Creating {
            return Err(self.invalid_state(Stage::Load));
        }
        self.transition(Phase::Starting);
        let mut op = Ongoing::new(self, "start");
        let result = op.start_steps().await;
        let this = op.finish();
        match result {
            Ok(guest) => {
                this.transition(Phase::Ready(guest));
                Ok(())
            }
            Err(error) => Err(this.fail(error)),
        }
    }

    /// Steps 1–8. A guest that fails a later step is released.
    async fn start_steps(&mut self) -> Result<E::Guest, Error> {
        let bytes = crate::source::load(&self.source).await?;
        let limits = &self.runtime.engine().ceilings().cap(&self.config.limits);
        let (profile, abi) = (self.config.profile, self.config.abi);
        let prepared = self.runtime.prepare(profile, abi, bytes).await?;
        let order = self.runtime.start_order();
        for &gate in order.before_instantiate {
            prepared.facts.pass(gate, limits)?;
        }
        let limiter = Box::new(Accounting::new(limits.clone(), self.runtime.ledger()));
        let engine = self.runtime.engine();
        let mut guest = engine
            .instantiate(
                &prepared.module,
                Instantiate {
                    limiter,
                    fuel: limits.fuel_per_call,
                    timeout: limits.start_timeout,
                },
            )
            .await
            .map_err(|stopped| match stopped {
                Stopped::Guest { failure, detail } => {
                    Error::new(Stage::Instantiate, failure.into()).with_detail(detail)
                }
                Stopped::Exhausted { detail } => {
                    let resource = Resource::Instances;
                    let fault = Fault::ResourceLimitExceeded { resource };
                    Error::new(Stage::Instantiate, fault).with_detail(detail)
                }
            })?;
        let checked = order
            .after_instantiate
            .iter()
            .try_for_each(|&gate| prepared.facts.pass(gate, limits));
        if let Err(error) = checked {
            engine.release(guest, Release::StartFailed);
            return Err(error);
        }
        if guest.exports(Entry::Start) {
            // Fresh fuel, under the deadline instantiation armed.
            let result = call_unit(&mut guest, Unit::Start, limits.fuel_per_call).await;
            record_call(&mut self.events, &mut guest, Entry::Start, &result);
            let fault = match result {
                Ok(None) => return Ok(guest),
                Ok(Some(reason)) => Fault::StartRefused { reason },
                Err(failure) => failure.into(),
            };
            engine.release(guest, Release::StartFailed);
            return Err(Error::new(Stage::Start, fault));
        }
        Ok(guest)
    }

    /// Checks health (SPEC.md §3, LC-HEALTH-*). Allowed in every state; never changes the state.
    pub async fn health_check(&mut self) -> Health {
        let limits = &self.config.limits;
        // Borrowed in place, not taken: a cancelled health check leaves the guest.
        let Phase::Ready(guest) = &mut self.phase else {
            return Health::for_state(self.phase.state());
        };
        if !guest.exports(Entry::Health) {
            return Health::HEALTHY;
        }
        guest.arm_deadline(limits.health_timeout);
        let fuel = limits.fuel_per_call;
        let result = match guest.abi() {
            Abi::Core => call_armed(guest, Call::Health, fuel)
                .await
                .map(|c| c as i32),
            Abi::Component => match call_world(guest, WorldCall::Health, fuel).await {
                Ok(Lifted::Health(code)) => Ok(code),
                other => Err(mismatched(WorldCall::Health, other)),
            },
        };
        record_call(&mut self.events, guest, Entry::Health, &result);
        match result {
            Ok(code) => Health::from_code(code),
            Err(failure) => Health::from_failure(failure),
        }
    }

    /// Stops the component (SPEC.md §5, LC-STOP-*). `_cleanup` runs only from `ready`, under
    /// `timeout` and fresh fuel; its failures are warnings. Idempotent on `terminated`.
    pub async fn stop(&mut self, timeout: Duration) -> Result<Vec<Warning>, Error> {
        match self.state() {
            State::Terminated => return Ok(Vec::new()),
            State::Creating | State::Ready | State::Failed => {}
            State::Starting | State::Stopping => return Err(self.invalid_state(Stage::Cleanup)),
        }
        let guest = self.transition(Phase::Stopping);
        let mut op = Ongoing::new(self, "stop");
        let mut warnings = Vec::new();
        if let Some(mut guest) = guest {
            if guest.exports(Entry::Cleanup) {
                guest.arm_deadline(timeout);
                let fuel = op.config.limits.fuel_per_call;
                let result = call_unit(&mut guest, Unit::Cleanup, fuel).await;
                record_call(&mut op.events, &mut guest, Entry::Cleanup, &result);
                let warning = match result {
                    Ok(None) => None,
                    Ok(Some(reason)) => Some(Warning::CleanupRefused { reason }),
                    Err(failure) => Some(Warning::from(failure)),
                };
                if let Some(warning) = warning {
                    op.events.push(Event::Warning { warning });
                    warnings.push(warning);
                }
            }
            op.runtime.engine().release(guest, Release::Stopped);
        }
        op.finish().transition(Phase::Terminated);
        Ok(warnings)
    }

    /// Moves to `to` if the transition table allows it, and returns the guest of the
    /// phase left, if it had one. Anything else is a runtime bug: debug builds panic,
    /// release builds log it and leave the state alone.
    fn transition(&mut self, to: Phase<E::Guest>) -> Option<E::Guest> {
        let (from, to_state) = (self.state(), to.state());
        if !from.can_become(to_state) {
            tracing::error!(%from, to = %to_state, "illegal transition refused");
            debug_assert!(false, "illegal transition {from} -> {to_state}");
            if let Phase::Ready(guest) = to {
                self.runtime.engine().release(guest, Release::Failed);
            }
            return None;
        }
        tracing::debug!(%from, to = %to_state, "transition");
        self.events.push(Event::Transition { from, to: to_state });
        match std::mem::replace(&mut self.phase, to) {
            Phase::Ready(guest) => Some(guest),
            _ => None,
        }
    }

    /// The guest, the limits and the event log, if the component is `ready`.
    pub(super) fn ready_parts(&mut self) -> Option<(&mut E::Guest, &Limits, &mut EventLog)> {
        match &mut self.phase {
            Phase::Ready(guest) => Some((guest, &self.config.limits, &mut self.events)),
            _ => None,
        }
    }

    pub(super) fn record_error(&mut self, error: Error) -> Error {
        tracing::debug!(%error, "operation failed");
        self.events.push(Event::Error {
            error: error.clone(),
        });
        error
    }

    /// A fatal error: record it, become `failed`, release the guest.
    pub(super) fn fail(&mut self, error: Error) -> Error {
        let error = self.record_error(error);
        if let Some(guest) = self.transition(Phase::Failed) {
            self.runtime.engine().release(guest, Release::Failed);
        }
        error
    }

    pub(super) fn invalid_state(&mut self, stage: Stage) -> Error {
        let state = self.state();
        self.record_error(Error::new(stage, Fault::InvalidState { state }))
    }

    /// The caller dropped an operation's future midway: release the guest and leave a
    /// state from which the contract lets the component go on (never `starting` or
    /// `stopping`).
    fn abandon(&mut self, operation: &'static str) {
        self.events.push(Event::Cancelled { operation });
        let guest = match self.state() {
            State::Starting | State::Ready => self.transition(Phase::Failed),
            State::Stopping => self.transition(Phase::Terminated),
            State::Creating | State::Failed | State::Terminated => None,
        };
        if let Some(guest) = guest {
            self.runtime.engine().release(guest, Release::Abandoned);
        }
    }
}

impl<E: Engine> Drop for Component<E> {
    fn drop(&mut self) {
        if let Phase::Ready(guest) = std::mem::replace(&mut self.phase, Phase::Terminated) {
            self.runtime.engine().release(guest, Release::Dropped);
        }
    }
}

/// Calls an export with fresh fuel under the deadline already armed.
pub(super) async fn call_armed<G: Guest>(
    guest: &mut G,
    call: Call,
    fuel: u64,
) -> Result<i64, GuestFailure> {
    guest.set_fuel(fuel);
    guest.call(call).await
}

/// Calls a world function with fresh fuel under the deadline already armed.
pub(super) async fn call_world<G: Guest>(
    guest: &mut G,
    call: WorldCall<'_>,
    fuel: u64,
) -> Result<Lifted, GuestFailure> {
    guest.set_fuel(fuel);
    guest.call_world(call).await
}

/// A world function that answered with another function's result: a backend bug,
/// reported as a trap of the call (never a reply nobody asked for).
pub(super) fn mismatched(
    call: WorldCall<'_>,
    answer: Result<Lifted, GuestFailure>,
) -> GuestFailure {
    answer.err().unwrap_or_else(|| {
        tracing::error!(?call, "a world function answered for another");
        GuestFailure::Trapped(lifecycle_contract::TrapCode::Other)
    })
}

/// The two calls without a result on the core ABI, which a component may refuse.
#[derive(Clone, Copy)]
enum Unit {
    /// `_start`, or `initialize` with the component's (v1: empty) configuration.
    Start,
    /// `_cleanup`, or `shutdown`.
    Cleanup,
}

/// Calls `unit` with fresh fuel under the deadline already armed: `Some` if a component
/// refused.
async fn call_unit<G: Guest>(
    guest: &mut G,
    unit: Unit,
    fuel: u64,
) -> Result<Option<Refusal>, GuestFailure> {
    let (core, world) = match unit {
        Unit::Start => (Call::Start, WorldCall::Initialize(&[])),
        Unit::Cleanup => (Call::Cleanup, WorldCall::Shutdown),
    };
    match guest.abi() {
        Abi::Core => call_armed(guest, core, fuel).await.map(|_| None),
        Abi::Component => match call_world(guest, world, fuel).await {
            Ok(Lifted::Done) => Ok(None),
            Ok(Lifted::Refused(reason)) => Ok(Some(reason)),
            other => Err(mismatched(world, other)),
        },
    }
}

/// Records a guest call, after any growth the limiter refused during it.
pub(super) fn record_call<G: Guest, T>(
    events: &mut EventLog,
    guest: &mut G,
    export: Entry,
    result: &Result<T, GuestFailure>,
) {
    events.extend(guest.take_denied());
    let outcome = CallOutcome::from(&result.as_ref().map(|_| ()).map_err(|f| *f));
    tracing::debug!(%export, ?outcome, "guest call");
    events.push(Event::GuestCall(GuestCall::new(export, outcome)));
}

/// An operation in progress. If its future is dropped before [`Ongoing::finish`], the
/// component is abandoned safely instead of being left mid-transition.
pub(super) struct Ongoing<'a, E: Engine> {
    component: Option<&'a mut Component<E>>,
    operation: &'static str,
}

impl<'a, E: Engine> Ongoing<'a, E> {
    pub(super) fn new(component: &'a mut Component<E>, operation: &'static str) -> Self {
        Ongoing {
            component: Some(component),
            operation,
        }
    }

    pub(super) fn finish(mut self) -> &'a mut Component<E> {
        self.component.take().expect("finished once")
    }
}

impl<E: Engine> Deref for Ongoing<'_, E> {
    type Target = Component<E>;
    fn deref(&self) -> &Component<E> {
        self.component.as_deref().expect("not finished")
    }
}

impl<E: Engine> DerefMut for Ongoing<'_, E> {
    fn deref_mut(&mut self) -> &mut Component<E> {
        self.component.as_deref_mut().expect("not finished")
    }
}

impl<E: Engine> Drop for Ongoing<'_, E> {
    fn drop(&mut self) {
        if let Some(component) = self.component.take() {
            component.abandon(self.operation);
        }
    }
}
