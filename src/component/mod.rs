//! A component: one actor's module moving through the lifecycle (CONTRACT §1–§5).
//!
//! Every state change goes through [`Component::transition`] and so through the one
//! transition table in [`crate::state`]. A component holds a live guest (store and
//! instance) exactly while it is `ready`; every other state has released it.

mod guest;
mod message;

use crate::error::{Error, Fault, GuestFailure, Stage, Warning};
use crate::events::{CallOutcome, Event, GuestCall};
use crate::health::Health;
use crate::limits::Limits;
use crate::profile::Profile;
use crate::runtime::RuntimeInner;
use crate::runtime::defects::Defect;
use crate::source::ModuleSource;
use crate::state::State;
use guest::Guest;
use lifecycle_contract::Entry;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

/// How a component is run: its feature profile and limits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComponentConfig {
    pub profile: Profile,
    pub limits: Limits,
}

pub struct Component {
    runtime: Arc<RuntimeInner>,
    source: ModuleSource,
    config: ComponentConfig,
    state: State,
    guest: Option<Guest>,
    events: Vec<Event>,
}

impl Component {
    pub(crate) fn new(
        runtime: Arc<RuntimeInner>,
        source: ModuleSource,
        config: ComponentConfig,
    ) -> Self {
        Component {
            runtime,
            source,
            config,
            state: State::Creating,
            guest: None,
            events: Vec::new(),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn config(&self) -> &ComponentConfig {
        &self.config
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events so far, leaving none.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Runs the start steps (CONTRACT §2). Allowed only in `creating`.
    pub async fn start(&mut self) -> Result<(), Error> {
        let restart = match self.state {
            State::Ready => {
                self.has(Defect::SecondStartOverwrites) || self.has(Defect::StartInAnyState)
            }
            State::Creating => false,
            _ => self.has(Defect::StartInAnyState),
        };
        if restart {
            // The defect: start again in place, the running instance dropped uncleaned.
            self.guest = None;
            self.state = State::Creating;
        }
        if self.state != State::Creating {
            return Err(self.invalid_state(Stage::Load));
        }
        self.transition(State::Starting);
        let mut op = Ongoing::new(self, "start");
        let result = op.start_steps().await;
        let this = op.finish();
        match result {
            Ok(guest) => {
                this.guest = Some(guest);
                this.transition(State::Ready);
                Ok(())
            }
            Err(error) if this.has(Defect::FailedLoadStaysStarting) => {
                Err(this.record_error(error))
            }
            Err(error) => Err(this.fail(error)),
        }
    }

    /// Steps 1–8. The guest is dropped, releasing its store, if a later step fails.
    async fn start_steps(&mut self) -> Result<Guest, Error> {
        let mut bytes = self.source.load().await?;
        if self.has(Defect::BytesParsedAsWat)
            && !bytes.starts_with(b"\0asm")
            && let Ok(parsed) = wat::parse_bytes(&bytes)
        {
            bytes = parsed.into_owned().into();
        }
        let validate_as = match self.has(Defect::ProfileIgnored) {
            true => crate::profile::Profile::Standard,
            false => self.config.profile,
        };
        let prepared = self
            .runtime
            .prepare(self.config.profile, validate_as, &bytes)?;
        if !self.has(Defect::ExportSignaturesUnchecked) {
            prepared.exports.clone()?;
        }
        if let Err(e) = prepared.imports.clone() {
            return Err(match self.has(Defect::LinkErrorAsTrap) {
                true => Error::new(
                    Stage::Instantiate,
                    Fault::Trapped {
                        trap: crate::error::TrapCode::Other,
                    },
                ),
                false => e,
            });
        }
        let mut guest = Guest::instantiate(
            &prepared.module,
            &self.config.limits,
            self.runtime.counters.clone(),
            self.config.limits.start_timeout,
            self.runtime.defect,
        )
        .await?;
        if self.has(Defect::ExportSignaturesUnchecked) {
            prepared.exports.clone()?;
        }
        if let Some(start) = guest.start.clone() {
            if self.has(Defect::StartDeadlineRearmed) {
                guest.arm_deadline(self.config.limits.start_timeout);
            }
            let result = match self.has(Defect::StartSharesStartSectionFuel) {
                true => guest.call_on_leftover_fuel(&start, ()).await,
                false => guest.call(&start, ()).await,
            };
            record_call(&mut self.events, &mut guest, Entry::Start, &result);
            if let Err(failure) = result {
                if self.has(Defect::LeakStoreOnFailedStart) {
                    std::mem::forget(guest);
                }
                let stage = match self.has(Defect::StartTrapWrongStage) {
                    true => Stage::Instantiate,
                    false => Stage::Start,
                };
                return Err(Error::new(stage, failure.into()));
            }
        }
        Ok(guest)
    }

    /// Checks health (CONTRACT §3). Allowed in every state; never changes the state.
    pub async fn health_check(&mut self) -> Health {
        if self.state != State::Ready {
            return Health::for_state(self.state);
        }
        // Borrowed in place, not taken: a cancelled health check leaves the guest.
        let guest = self.guest.as_mut().expect("a ready component has a guest");
        let Some(func) = guest
            .health
            .clone()
            .filter(|_| !self.runtime.has_defect(Defect::HealthNeverCalled))
        else {
            return Health::HEALTHY;
        };
        let limits = &self.config.limits;
        let timeout = match self.runtime.has_defect(Defect::HealthUsesCallTimeout) {
            true => limits.call_timeout,
            false => limits.health_timeout,
        };
        let checks = &mut guest.store.data_mut().health_checks;
        *checks += 1;
        if *checks == 1 || !self.runtime.has_defect(Defect::HealthDeadlineArmedOnce) {
            guest.arm_deadline(timeout);
        }
        let result = guest.call(&func, ()).await;
        record_call(&mut self.events, guest, Entry::Health, &result.map(|_| ()));
        match result {
            Ok(code) => Health::from_code(code),
            Err(failure) => {
                if self.has(Defect::HealthFailureFails) {
                    self.guest = None;
                    self.transition(State::Failed);
                }
                Health::from_failure(failure)
            }
        }
    }

    /// Stops the component (CONTRACT §5). `_cleanup` runs only from `ready`, under
    /// `timeout` and fresh fuel; its failures are warnings. Idempotent on `terminated`.
    pub async fn stop(&mut self, timeout: Duration) -> Result<Vec<Warning>, Error> {
        match self.state {
            State::Terminated if self.has(Defect::StopNotIdempotent) => {
                return Err(self.invalid_state(Stage::Cleanup));
            }
            State::Terminated => return Ok(Vec::new()),
            State::Creating | State::Ready | State::Failed => {}
            State::Starting | State::Stopping => return Err(self.invalid_state(Stage::Cleanup)),
        }
        let was = self.state;
        if !self.has(Defect::StopSkipsStopping) {
            self.transition(State::Stopping);
        }
        let mut op = Ongoing::new(self, "stop");
        let mut warnings = Vec::new();
        if op.runtime.has_defect(Defect::LeakStoreOnStop) {
            std::mem::forget(op.guest.take());
        }
        // The defect keeps the store past stop, until the component is dropped.
        let retained = match op.has(Defect::ReleasedOnlyOnDrop) {
            true => op.guest.take(),
            false => None,
        };
        if let Some(mut guest) = retained {
            if let Some(cleanup) = guest.cleanup.clone() {
                guest.arm_deadline(timeout);
                let result = guest.call(&cleanup, ()).await;
                record_call(&mut op.events, &mut guest, Entry::Cleanup, &result);
                if let Err(failure) = result {
                    let warning = Warning::from(failure);
                    op.events.push(Event::Warning { warning });
                    warnings.push(warning);
                }
            }
            let this = op.finish();
            this.transition(State::Terminated);
            this.guest = Some(guest);
            return Ok(warnings);
        }
        if let Some(mut guest) = op.guest.take()
            && let Some(cleanup) = guest.cleanup.clone()
            && !op.runtime.has_defect(Defect::SkipCleanup)
        {
            let result = if op.has(Defect::CleanupOuterTimeoutOnly) {
                // The defect: an async timeout around a call that never yields; the
                // engine's own deadline is far away (bounded, so runs still end).
                guest.arm_deadline(timeout * 25);
                match tokio::time::timeout(timeout, guest.call(&cleanup, ())).await {
                    Ok(result) => result,
                    Err(_) => Err(GuestFailure::Timeout),
                }
            } else if op.has(Defect::CleanupOnLeftoverFuel) {
                guest.arm_deadline(timeout);
                guest.call_on_leftover_fuel(&cleanup, ()).await
            } else {
                guest.arm_deadline(timeout);
                guest.call(&cleanup, ()).await
            };
            record_call(&mut op.events, &mut guest, Entry::Cleanup, &result);
            if let Err(failure) = result {
                if op.has(Defect::CleanupTrapFatal) && matches!(failure, GuestFailure::Trapped(_)) {
                    let this = op.finish();
                    this.transition(State::Terminated);
                    return Err(this.record_error(Error::new(Stage::Cleanup, failure.into())));
                }
                let warning = Warning::from(failure);
                op.events.push(Event::Warning { warning });
                warnings.push(warning);
            }
        }
        let this = op.finish();
        if this.has(Defect::StopSkipsStopping) {
            // The defect: straight to terminated, past the transition table.
            this.state = State::Terminated;
            this.events.push(Event::Transition {
                from: was,
                to: State::Terminated,
            });
        } else {
            this.transition(State::Terminated);
        }
        Ok(warnings)
    }

    /// Moves to `to` if the transition table allows it. Anything else is a runtime bug:
    /// debug builds panic, release builds log it and leave the state alone.
    fn transition(&mut self, to: State) {
        let from = self.state;
        if !from.can_become(to) {
            tracing::error!(%from, %to, "illegal transition refused");
            debug_assert!(false, "illegal transition {from} -> {to}");
            return;
        }
        tracing::debug!(%from, %to, "transition");
        self.state = to;
        self.events.push(Event::Transition { from, to });
    }

    fn record_error(&mut self, error: Error) -> Error {
        tracing::debug!(%error, "operation failed");
        self.events.push(Event::Error {
            error: error.clone(),
        });
        error
    }

    /// A fatal error: release the guest, record the error, become `failed`.
    fn fail(&mut self, error: Error) -> Error {
        if !self.has(Defect::CleanupAfterFailure) {
            self.guest = None;
        }
        let error = self.record_error(error);
        self.transition(State::Failed);
        error
    }

    fn has(&self, defect: Defect) -> bool {
        self.runtime.has_defect(defect)
    }

    fn invalid_state(&mut self, stage: Stage) -> Error {
        let state = self.state;
        self.record_error(Error::new(stage, Fault::InvalidState { state }))
    }

    /// The caller dropped an operation's future midway: release the guest and leave a
    /// state from which the contract lets the component go on (never `starting` or
    /// `stopping`).
    fn abandon(&mut self, operation: &'static str) {
        self.events.push(Event::Cancelled { operation });
        self.guest = None;
        match self.state {
            State::Starting | State::Ready => self.transition(State::Failed),
            State::Stopping => self.transition(State::Terminated),
            State::Creating | State::Failed | State::Terminated => {}
        }
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        if self.state == State::Ready && self.has(Defect::LeakStoreDroppedReady) {
            std::mem::forget(self.guest.take());
        }
    }
}

/// Records a guest call, after any growth the limiter refused during it.
fn record_call(
    events: &mut Vec<Event>,
    guest: &mut Guest,
    export: Entry,
    result: &Result<(), GuestFailure>,
) {
    events.extend(guest.store.data_mut().take_denied());
    let outcome = CallOutcome::from(result);
    tracing::debug!(%export, ?outcome, "guest call");
    events.push(Event::GuestCall(GuestCall::new(export, outcome)));
}

/// An operation in progress. If its future is dropped before [`Ongoing::finish`], the
/// component is abandoned safely instead of being left mid-transition.
struct Ongoing<'a> {
    component: Option<&'a mut Component>,
    operation: &'static str,
}

impl<'a> Ongoing<'a> {
    fn new(component: &'a mut Component, operation: &'static str) -> Self {
        Ongoing {
            component: Some(component),
            operation,
        }
    }

    fn finish(mut self) -> &'a mut Component {
        self.component.take().expect("finished once")
    }
}

impl Deref for Ongoing<'_> {
    type Target = Component;
    fn deref(&self) -> &Component {
        self.component.as_deref().expect("not finished")
    }
}

impl DerefMut for Ongoing<'_> {
    fn deref_mut(&mut self) -> &mut Component {
        self.component.as_deref_mut().expect("not finished")
    }
}

impl Drop for Ongoing<'_> {
    fn drop(&mut self) {
        if let Some(component) = self.component.take() {
            component.abandon(self.operation);
        }
    }
}
