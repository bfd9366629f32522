//! One module through the whole lifecycle: start, each message, an optional health
//! check, stop. Behind `lifecycle-kit trace`; its JSON is the shape expectations and
//! reports use.

use crate::Runtime;
use crate::events::Event;
use crate::lifecycle::ComponentConfig;
use crate::source::ModuleSource;
use crate::state::State;
pub use lifecycle_contract::outcome::{Operation, Outcome, Script, Summary, hex};
use serde_json::{Value, json};
use std::fmt::Write;

/// An operation with the events it caused, and what the runtime held right after it.
#[derive(Clone, Debug)]
pub struct Op {
    pub outcome: Outcome,
    pub events: Vec<Event>,
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
}

#[derive(Clone, Debug)]
pub struct Trace {
    pub ops: Vec<Op>,
    pub final_state: State,
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
}

/// Runs `script` on a new component of `runtime`. Every message is sent even if start
/// failed: those report `invalid_state`.
pub async fn run(
    runtime: &Runtime,
    source: ModuleSource,
    config: ComponentConfig,
    script: &Script,
) -> Trace {
    let mut component = runtime.component(source, config);
    let mut ops = Vec::new();
    let mut record = |outcome, component: &mut crate::Component| {
        ops.push(Op {
            outcome,
            events: component.take_events(),
            live_instances: runtime.live_instances(),
            accounted_memory_bytes: runtime.accounted_memory_bytes(),
        })
    };
    let outcome = Outcome::Start(component.start().await);
    record(outcome, &mut component);
    for message in &script.messages {
        let reply = component.handle_message(message).await;
        let outcome = Outcome::Message {
            message: message.clone(),
            reply,
        };
        record(outcome, &mut component);
    }
    if script.health {
        let outcome = Outcome::Health(component.health_check().await);
        record(outcome, &mut component);
    }
    let outcome = Outcome::Stop(component.stop(script.stop_timeout).await);
    record(outcome, &mut component);
    let final_state = component.state();
    drop(component);
    Trace {
        ops,
        final_state,
        live_instances: runtime.live_instances(),
        accounted_memory_bytes: runtime.accounted_memory_bytes(),
    }
}

/// The guest calls among `events`, in order.
pub fn guest_calls(events: &[Event]) -> Vec<lifecycle_contract::GuestCall> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::GuestCall(call) => Some(*call),
            _ => None,
        })
        .collect()
}

impl Trace {
    /// The trace without events: what an oracle's expectation is compared with.
    pub fn summary(&self) -> Summary {
        Summary {
            ops: self
                .ops
                .iter()
                .map(|op| Operation::new(op.outcome.clone(), guest_calls(&op.events)))
                .collect(),
            transitions: self.transitions(),
            final_state: self.final_state,
            live_instances: self.live_instances,
            accounted_memory_bytes: self.accounted_memory_bytes,
        }
    }

    /// Every transition in order, across all operations.
    pub fn transitions(&self) -> Vec<(State, State)> {
        self.ops
            .iter()
            .flat_map(|op| &op.events)
            .filter_map(|e| match e {
                Event::Transition { from, to } => Some((*from, *to)),
                _ => None,
            })
            .collect()
    }

    pub fn to_json(&self) -> Value {
        let mut value = self.summary().to_json();
        for (op, out) in self
            .ops
            .iter()
            .zip(value["ops"].as_array_mut().into_iter().flatten())
        {
            out["events"] = json!(op.events);
            out["held"] = json!({
                "live_instances": op.live_instances,
                "accounted_memory_bytes": op.accounted_memory_bytes,
            });
        }
        value
    }

    /// A timeline for a person: one line per operation, then one per event.
    pub fn timeline(&self) -> String {
        let mut out = String::new();
        for op in &self.ops {
            let _ = writeln!(out, "{}", op.outcome.headline());
            for event in &op.events {
                // The error is already in the headline.
                if !matches!(event, Event::Error { .. }) {
                    let _ = writeln!(out, "  {event}");
                }
            }
        }
        let _ = writeln!(
            out,
            "final state {}; {} live instance(s), {} byte(s) of memory accounted",
            self.final_state, self.live_instances, self.accounted_memory_bytes
        );
        out
    }
}
