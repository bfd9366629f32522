//! Defects around a component: a [`FaultyComponent`] wraps a component of the reference
//! lifecycle (on the [`Faulty`] engine) and gets admission, failure handling, the
//! message size checks or what it reports wrong, one defect at a time.
//!
//! The wrapped component still makes every transition through the one table. What a
//! defect adds on top is reported as the faulty runtime would report it; a transition
//! the table does not allow (`stop-skips-stopping`) is logged as illegal and reported.

use super::defects::Defect;
use super::engine::Faulty;
use lifecycle_contract::error::RejectReason;
use lifecycle_contract::{
    Abi, CallOutcome, Entry, Error, Event, Fault, GuestCall, Health, Limits, Profile, Stage, State,
    TrapCode, Warning,
};
use lifecycle_contract::{Capabilities, Counters, Subject, SubjectComponent};
use lifecycle_runtime::engine::{Call, Guest};
use lifecycle_runtime::lifecycle::{Component, ComponentConfig, Runtime};
use lifecycle_runtime::source::ModuleSource;
use std::time::Duration;

/// A runtime with one defect: the reference lifecycle on a [`Faulty`] engine, each
/// component wrapped.
#[derive(Clone)]
pub struct FaultyRuntime {
    pub(super) runtime: Runtime<Faulty>,
    pub(super) defect: Defect,
}

impl Subject for FaultyRuntime {
    type Component = FaultyComponent;

    /// `faulty:DEFECT`, the name `--runtime` takes: a report of a mutant never passes
    /// for the reference's.
    fn name(&self) -> String {
        format!("faulty:{}", self.defect.name())
    }

    fn version(&self) -> String {
        self.runtime.version()
    }

    fn capabilities(&self) -> Capabilities {
        self.runtime.capabilities()
    }

    fn component(
        &self,
        module: ModuleSource,
        abi: Abi,
        profile: Profile,
        limits: Limits,
    ) -> FaultyComponent {
        let d = self.defect;
        let profile = match d {
            Defect::ProfileIgnored => Profile::Standard,
            _ => profile,
        };
        let mut given = limits.clone();
        if matches!(d, Defect::MessageSizeUnchecked | Defect::ReplySizeUnchecked) {
            // The size the defect leaves unchecked is not checked below; the other is
            // checked here.
            given.max_message_bytes = u64::MAX;
        }
        let config = ComponentConfig {
            abi,
            profile,
            limits: given,
        };
        FaultyComponent {
            inner: self.runtime.component(module.clone(), config.clone()),
            runtime: self.runtime.clone(),
            module,
            config,
            limits,
            defect: d,
            stuck: false,
            events: Vec::new(),
        }
    }

    async fn counters(&self) -> Counters {
        self.runtime.counters()
    }
}

/// A reference component with one defect around it.
pub struct FaultyComponent {
    inner: Component<Faulty>,
    runtime: Runtime<Faulty>,
    module: ModuleSource,
    config: ComponentConfig,
    /// The limits the component was asked to run under.
    limits: Limits,
    defect: Defect,
    /// A failed start left it `starting` (`failed-load-stays-starting`).
    stuck: bool,
    events: Vec<Event>,
}

fn invalid(stage: Stage, state: State) -> Error {
    Error::new(stage, Fault::InvalidState { state })
}

impl FaultyComponent {
    fn has(&self, defect: Defect) -> bool {
        self.defect == defect
    }

    /// Moves the inner component's events to ours.
    fn collect(&mut self) {
        let events = self.inner.take_events();
        self.events.extend(events);
    }

    fn error(&mut self, error: Error) -> Error {
        self.events.push(Event::Error {
            error: error.clone(),
        });
        error
    }

    /// A fresh inner component, the old one dropped as it is.
    fn replace(&mut self, module: ModuleSource) {
        self.inner = self.runtime.component(module, self.config.clone());
    }

    /// Fails a `ready` component the contract would have left `ready`: the inner one is
    /// dropped and replaced by one that failed to start.
    async fn fail(&mut self) {
        self.replace(ModuleSource::bytes(Vec::new()));
        let _ = self.inner.start().await;
        self.inner.take_events();
        self.report_transition(State::Ready, State::Failed);
    }

    /// Reports a transition the inner component did not make, held against the one
    /// table: one the table refuses is reported all the same (it is the defect) and
    /// logged as illegal.
    fn report_transition(&mut self, from: State, to: State) {
        if !from.can_become(to) {
            tracing::debug!(%from, %to, defect = self.defect.name(), "illegal transition reported");
        }
        self.events.push(Event::Transition { from, to });
    }

    /// Bytes that are not a binary module, parsed as WAT text.
    async fn parse_as_wat(&mut self) {
        let bytes = match &self.module {
            ModuleSource::Bytes(bytes) => bytes.to_vec(),
            ModuleSource::File(path) if !lifecycle_contract::source::is_wat(path) => {
                match tokio::fs::read(path).await {
                    Ok(bytes) => bytes,
                    Err(_) => return,
                }
            }
            ModuleSource::File(_) => return,
        };
        if !bytes.starts_with(b"\0asm")
            && let Ok(parsed) = wat::parse_bytes(&bytes)
        {
            self.replace(ModuleSource::bytes(parsed.into_owned()));
        }
    }

    /// `_cleanup` on the guests a failed component kept (`cleanup-after-failure`).
    async fn clean_retained(&mut self, timeout: Duration) -> Vec<Warning> {
        let mut warnings = Vec::new();
        for mut guest in self.runtime.engine().take_retained() {
            if !guest.exports(Entry::Cleanup) {
                continue;
            }
            guest.arm_deadline(timeout);
            guest.set_fuel(self.limits.fuel_per_call);
            let result = guest.call(Call::Cleanup).await.map(|_| ());
            let outcome = CallOutcome::from(&result);
            // Between `failed -> stopping` and `stopping -> terminated`.
            let at = self.events.len().saturating_sub(1);
            let call = Event::GuestCall(GuestCall::new(Entry::Cleanup, outcome));
            self.events.insert(at, call);
            if let Err(failure) = result {
                let warning = Warning::from(failure);
                self.events.insert(at + 1, Event::Warning { warning });
                warnings.push(warning);
            }
        }
        warnings
    }
}

impl SubjectComponent for FaultyComponent {
    async fn start(&mut self) -> Result<(), Error> {
        let d = self.defect;
        if self.stuck {
            return Err(self.error(invalid(Stage::Load, State::Starting)));
        }
        let restart = match self.inner.state() {
            State::Creating => false,
            State::Ready => matches!(d, Defect::SecondStartOverwrites | Defect::StartInAnyState),
            _ => d == Defect::StartInAnyState,
        };
        if restart {
            // Started again in place: the running instance dropped uncleaned.
            self.replace(self.module.clone());
        }
        if d == Defect::BytesParsedAsWat {
            self.parse_as_wat().await;
        }
        let result = self.inner.start().await;
        let this_start = self.events.len();
        self.collect();
        let Err(mut error) = result else {
            return Ok(());
        };
        match (d, error.stage) {
            (Defect::FailedLoadStaysStarting, _) => {
                self.stuck = true;
                let mut reported = self.events.split_off(this_start);
                reported.retain(|e| {
                    !matches!(
                        e,
                        Event::Transition {
                            to: State::Failed,
                            ..
                        }
                    )
                });
                self.events.extend(reported);
            }
            (Defect::StartTrapWrongStage, Stage::Start) => error.stage = Stage::Instantiate,
            (Defect::LinkErrorAsTrap, Stage::Link) => {
                let trap = lifecycle_contract::TrapCode::Other;
                error = Error::new(Stage::Instantiate, Fault::Trapped { trap });
            }
            _ => return Err(error),
        }
        // What the faulty runtime reported instead, in this start's events.
        for event in &mut self.events[this_start..] {
            if let Event::Error { error: reported } = event {
                *reported = error.clone();
            }
        }
        Err(error)
    }

    async fn handle_message(&mut self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let d = self.defect;
        if self.stuck {
            return Err(self.error(invalid(Stage::HandleMessage, State::Starting)));
        }
        let ready = self.inner.state() == State::Ready;
        if d == Defect::MessageAfterStopAccepted && self.inner.state() == State::Terminated {
            return Ok(Vec::new());
        }
        let limits = self.limits.clone();
        let too_large = |len: usize| !limits.admits_message(len as u64);
        if d == Defect::ReplySizeUnchecked && ready && too_large(message.len()) {
            let reason = RejectReason::TooLarge;
            let rejected = Error::new(Stage::HandleMessage, Fault::MessageRejected { reason });
            return Err(self.error(rejected));
        }
        let result = self.inner.handle_message(message).await;
        self.collect();
        match result {
            Ok(reply) if d == Defect::MessageSizeUnchecked && too_large(reply.len()) => {
                let reason = RejectReason::ReplyTooLarge;
                let rejected = Error::new(Stage::HandleMessage, Fault::MessageRejected { reason });
                Err(self.error(rejected))
            }
            Err(error)
                if d == Defect::AppErrorFatal
                    && matches!(error.fault, Fault::MessageError { .. }) =>
            {
                self.fail().await;
                Err(error)
            }
            Err(error)
                if d == Defect::AppErrorAsTrap
                    && self.config.abi == Abi::Component
                    && matches!(error.fault, Fault::MessageError { .. }) =>
            {
                self.fail().await;
                let trap = TrapCode::Other;
                Err(Error::new(Stage::HandleMessage, Fault::Trapped { trap }))
            }
            result => result,
        }
    }

    async fn health_check(&mut self) -> Health {
        if self.stuck {
            return Health::for_state(State::Starting);
        }
        if self.has(Defect::HealthNeverCalled) && self.inner.state() == State::Ready {
            return Health::HEALTHY;
        }
        let health = self.inner.health_check().await;
        let events = self.inner.take_events();
        let failed = events
            .iter()
            .any(|e| matches!(e, Event::GuestCall(call) if call.outcome != CallOutcome::Returned));
        self.events.extend(events);
        if self.has(Defect::HealthFailureFails) && failed {
            self.fail().await;
        }
        health
    }

    async fn stop(&mut self, timeout: Duration) -> Result<Vec<Warning>, Error> {
        let d = self.defect;
        if self.stuck {
            return Err(self.error(invalid(Stage::Cleanup, State::Starting)));
        }
        let was = self.inner.state();
        if d == Defect::StopNotIdempotent && was == State::Terminated {
            return Err(self.error(invalid(Stage::Cleanup, was)));
        }
        let result = self.inner.stop(timeout).await;
        let this_stop = self.events.len();
        self.collect();
        let mut warnings = result?;
        if d == Defect::CleanupAfterFailure && was == State::Failed {
            warnings = self.clean_retained(timeout).await;
        }
        if d == Defect::StopSkipsStopping && was != State::Terminated {
            // Straight to `terminated`: this stop's two transitions become one, last.
            let mut kept = self.events.split_off(this_stop);
            kept.retain(|e| !matches!(e, Event::Transition { .. }));
            self.events.extend(kept);
            self.report_transition(was, State::Terminated);
        }
        if d == Defect::CleanupTrapFatal
            && let Some(trap) = warnings.iter().find_map(|w| match w {
                Warning::CleanupTrapped { trap } => Some(*trap),
                _ => None,
            })
        {
            self.events.retain(|e| !matches!(e, Event::Warning { .. }));
            return Err(self.error(Error::new(Stage::Cleanup, Fault::Trapped { trap })));
        }
        if d == Defect::ShutdownRefusalFatal
            && warnings
                .iter()
                .any(|w| matches!(w, Warning::CleanupRefused { .. }))
        {
            self.events.retain(|e| !matches!(e, Event::Warning { .. }));
            let trap = TrapCode::Other;
            return Err(self.error(Error::new(Stage::Cleanup, Fault::Trapped { trap })));
        }
        Ok(warnings)
    }

    fn state(&self) -> State {
        match self.stuck {
            true => State::Starting,
            false => self.inner.state(),
        }
    }

    fn take_events(&mut self) -> Vec<Event> {
        self.collect();
        std::mem::take(&mut self.events)
    }
}

impl Drop for FaultyComponent {
    fn drop(&mut self) {
        // What `released-only-on-drop` kept, released at last.
        drop(self.runtime.engine().take_retained());
    }
}
