//! The one shape of a run: what [`crate::drive`] records as it drives a component
//! through its steps, and the views every consumer reads it through.
//!
//! A [`Trace`] is one component's run: each operation with its outcome, the events it
//! caused and what the runtime held right after it; the component's final state; what
//! the runtime held once the component was let go. Nothing else builds a trace, and
//! nothing reads one except through these views:
//! * [`Trace::summary`]: the contract's [`Summary`], which expectations compare;
//! * [`Trace::to_json`]: the summary's JSON plus each operation's events and counters
//!   (`lifecycle-kit trace --json`);
//! * [`Trace::timeline`]: one line per operation and per event, for a person
//!   (`lifecycle-kit trace`);
//! * [`NormalizedTrace::new`]: the components of a case together, without anything that
//!   varies between runs or engines (the insta snapshots).
//!
//! Invariants:
//! * transitions and guest calls are read out of events by [`transitions`] and
//!   [`guest_calls`] alone;
//! * an [`Event::Error`] repeats the error of its operation's outcome, so the views that
//!   show the outcome leave it out (see [`shown`]); the JSON keeps every event.

use crate::subject::Counters;
use lifecycle_contract::{Event, Operation, Outcome, State, Summary};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write;

/// Live counters at one moment: what the runtime held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Held {
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
}

impl From<Counters> for Held {
    fn from(counters: Counters) -> Held {
        Held {
            live_instances: counters.live_instances,
            accounted_memory_bytes: counters.accounted_memory_bytes,
        }
    }
}

/// An operation with the events it caused, and what the runtime held right after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    pub outcome: Outcome,
    pub events: Vec<Event>,
    pub held: Held,
}

/// One component's run, from its first step to after it was let go.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub ops: Vec<Op>,
    /// The component's state after its last step, before it was let go.
    pub final_state: State,
    /// What the runtime held once every component of the run was let go.
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
}

pub use lifecycle_contract::events::{guest_calls, transitions};

/// The events a view shows beside its operation's outcome: all but the error, which the
/// outcome already carries.
pub fn shown(events: &[Event]) -> impl Iterator<Item = &Event> {
    events.iter().filter(|e| !matches!(e, Event::Error { .. }))
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
            .flat_map(|op| transitions(&op.events))
            .collect()
    }

    /// The summary's JSON, each operation with its `events` and what it left `held`.
    pub fn to_json(&self) -> Value {
        let mut value = self.summary().to_json();
        for (op, out) in self
            .ops
            .iter()
            .zip(value["ops"].as_array_mut().into_iter().flatten())
        {
            out["events"] = json!(op.events);
            out["held"] = json!(op.held);
        }
        value
    }

    /// A timeline for a person: one line per operation, then one per event.
    pub fn timeline(&self) -> String {
        let mut out = String::new();
        for op in &self.ops {
            let _ = writeln!(out, "{}", op.outcome.headline());
            for event in shown(&op.events) {
                let _ = writeln!(out, "  {event}");
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

/// A case's trace without anything that varies between runs or engines: no durations,
/// addresses, engine messages or fuel counts. This is what snapshots hold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NormalizedTrace {
    pub steps: Vec<NormalizedStep>,
    pub final_state: String,
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
    #[serde(skip_serializing_if = "is_one")]
    pub cycles: u32,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NormalizedStep {
    /// Which component (1-based) when a case has several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<usize>,
    /// The operation's result in the `trace --json` shape, without `detail` (its guest
    /// calls are among the events).
    pub result: Value,
    /// Transitions, guest calls and their outcomes, denied growth, warnings.
    pub events: Vec<String>,
    /// What the runtime held right after the operation.
    pub held: Held,
}

impl NormalizedTrace {
    /// The traces of one run's components (as [`crate::drive::run`] returns them), of a
    /// case run `cycles` times, in the order the driver performed their operations: each
    /// step on every component before the next step.
    pub fn new(traces: &[Trace], cycles: u32) -> NormalizedTrace {
        let several = traces.len() > 1;
        let count = traces.iter().map(|t| t.ops.len()).max().unwrap_or(0);
        let steps = (0..count)
            .flat_map(|index| {
                traces
                    .iter()
                    .enumerate()
                    .filter_map(move |(k, trace)| Some((k, trace.ops.get(index)?)))
            })
            .map(|(k, op)| NormalizedStep {
                component: several.then_some(k + 1),
                result: op.outcome.without_detail().to_json(),
                events: shown(&op.events).map(ToString::to_string).collect(),
                held: op.held,
            })
            .collect();
        let end = traces.first();
        NormalizedTrace {
            steps,
            final_state: traces
                .iter()
                .map(|t| t.final_state.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            live_instances: end.map_or(0, |t| t.live_instances),
            accounted_memory_bytes: end.map_or(0, |t| t.accounted_memory_bytes),
            cycles,
        }
    }
}
