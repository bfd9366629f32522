//! The client side of the protocol: [`Adapter`], a [`Subject`] that drives an adapter
//! process, so the suite checks a runtime in any language exactly as it checks one in
//! process. Its components send `create` lazily, with their first operation.
//!
//! Invariant: once the adapter leaves the protocol, [`Subject::failure`] says how, and
//! what the operations return meanwhile is a value of the right type, never judged.

use super::messages::{Carried, event_from};
use super::process::{Failure, Process, ProtocolError};
use crate::subject::{Capabilities, Counters, ModuleSource, Subject, SubjectComponent};
use lifecycle_contract::outcome::hex;
use lifecycle_contract::{
    Abi, Error, Event, Fault, Health, Limits, Outcome, Profile, Stage, State, Warning,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A runtime behind an adapter process.
/// Made by [`Adapter::connect`].
pub struct Adapter {
    pub(super) process: Arc<tokio::sync::Mutex<Process>>,
    pub(super) failure: Failure,
    pub(super) name: String,
    pub(super) version: String,
    pub(super) capabilities: Capabilities,
    pub(super) next_component: Arc<AtomicU64>,
    pub(super) answer_timeout: Duration,
}

pub struct AdapterComponent {
    process: Arc<tokio::sync::Mutex<Process>>,
    /// How long an answer may take beyond the limit its operation runs under.
    answer_timeout: Duration,
    limits: Limits,
    id: String,
    /// The `create` request, sent with the first request about this component.
    pending: Option<Value>,
    state: State,
    events: Vec<Event>,
}

impl AdapterComponent {
    /// One request, checked against the schema's `kind`, answered within the answer
    /// timeout after `limit` (the time the operation may run in the guest).
    async fn request(&self, request: Value, kind: &str, limit: Duration) -> Option<Value> {
        let mut process = self.process.lock().await;
        process
            .request(request, kind, self.answer_timeout.saturating_add(limit))
            .await
    }

    /// Creates the component on the adapter on first use.
    async fn created(&mut self) -> Option<String> {
        if let Some(create) = self.pending.take() {
            self.request(create, "done_answer", Duration::ZERO).await?;
        }
        Some(self.id.clone())
    }

    /// An operation that may run guest code for up to `limit`: its outcome, events and
    /// state from the answer. `None` when the adapter left the protocol.
    async fn operate(&mut self, op: &str, mut request: Value, limit: Duration) -> Option<Outcome> {
        let id = self.created().await?;
        request["op"] = json!(op);
        request["component"] = json!(id);
        let answer = self
            .request(request, &format!("{op}_answer"), limit)
            .await?;
        let outcome = match Outcome::from_json(&answer["outcome"]) {
            Ok(outcome) => outcome,
            Err(e) => {
                let mut process = self.process.lock().await;
                process.fail(ProtocolError::UnreadableOutcome {
                    op: op.to_string(),
                    cause: e.to_string(),
                });
                return None;
            }
        };
        self.events.extend(
            answer["events"]
                .as_array()
                .into_iter()
                .flatten()
                .map(event_from),
        );
        if let Ok(state) = serde_json::from_value(answer["state"].clone()) {
            self.state = state;
        }
        Some(outcome)
    }

    /// What an operation returns once the adapter left the protocol: never judged (the
    /// runner asks [`Subject::failure`] first), only a value of the right type.
    fn unanswered(&self, stage: Stage) -> Error {
        Error::new(stage, Fault::InvalidState { state: self.state })
            .with_detail("the adapter left the protocol")
    }
}

impl Subject for Adapter {
    type Component = AdapterComponent;

    fn name(&self) -> String {
        self.name.clone()
    }
    fn version(&self) -> String {
        self.version.clone()
    }
    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn component(
        &self,
        module: ModuleSource,
        abi: Abi,
        profile: Profile,
        limits: Limits,
    ) -> AdapterComponent {
        let id = format!(
            "c{}",
            self.next_component.fetch_add(1, Ordering::SeqCst) + 1
        );
        let mut create = json!({"op": "create", "component": id, "profile": profile.as_str(), "limits": limits.to_json()});
        // Only a component is marked: an adapter written before components never sees
        // the key (it is never sent a component: it does not declare `components`).
        if abi == Abi::Component {
            create["abi"] = json!(abi.as_str());
        }
        let carried = Carried::of(&module);
        create[carried.key] = carried.value;
        AdapterComponent {
            process: self.process.clone(),
            answer_timeout: self.answer_timeout,
            limits,
            id,
            // Sent lazily, with the first operation: `component` is not async.
            pending: Some(create),
            state: State::Creating,
            // Reported with the first operation's events.
            events: carried.note.into_iter().collect(),
        }
    }

    async fn counters(&self) -> Counters {
        let answer = {
            let mut process = self.process.lock().await;
            process
                .request(
                    json!({"op": "counters"}),
                    "counters_answer",
                    self.answer_timeout,
                )
                .await
        };
        let Some(answer) = answer else {
            return Counters::default();
        };
        let count = |key: &str| answer[key].as_u64();
        if self.capabilities.compilations && count("compilations").is_none() {
            let mut process = self.process.lock().await;
            process.fail(ProtocolError::NoCompilations);
        }
        Counters {
            live_instances: count("live_instances").unwrap_or_default() as usize,
            accounted_memory_bytes: count("accounted_memory_bytes").unwrap_or_default(),
            compilations: count("compilations"),
        }
    }

    fn failure(&self) -> Option<String> {
        let failure = self.failure.lock().expect("failure lock");
        failure.as_ref().map(ToString::to_string)
    }
}

impl SubjectComponent for AdapterComponent {
    async fn start(&mut self) -> Result<(), Error> {
        let limit = self.limits.start_timeout;
        match self.operate("start", json!({}), limit).await {
            Some(Outcome::Start(r)) => r,
            _ => Err(self.unanswered(Stage::Load)),
        }
    }

    async fn handle_message(&mut self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let request = json!({"message_hex": hex(message)});
        let limit = self.limits.call_timeout;
        match self.operate("send", request, limit).await {
            Some(Outcome::Message { reply, .. }) => reply,
            _ => Err(self.unanswered(Stage::HandleMessage)),
        }
    }

    async fn health_check(&mut self) -> Health {
        let limit = self.limits.health_timeout;
        match self.operate("health", json!({}), limit).await {
            Some(Outcome::Health(h)) => h,
            _ => Health::for_state(self.state),
        }
    }

    async fn stop(&mut self, timeout: Duration) -> Result<Vec<Warning>, Error> {
        let request = json!({"timeout_ms": timeout.as_millis() as u64});
        match self.operate("stop", request, timeout).await {
            Some(Outcome::Stop(r)) => r,
            _ => Err(self.unanswered(Stage::Cleanup)),
        }
    }

    fn state(&self) -> State {
        self.state
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    async fn dispose(mut self) {
        if let Some(id) = self.created().await {
            self.request(
                json!({"op": "drop", "component": id}),
                "done_answer",
                Duration::ZERO,
            )
            .await;
        }
    }
}
