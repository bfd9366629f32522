//! What a component reports as it runs, in order.

use crate::error::{Error, GuestFailure, Resource, TrapCode, Warning};
use crate::exports::Entry;
use crate::state::State;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How one guest call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CallOutcome {
    Returned,
    Trapped { trap: TrapCode },
    FuelExhausted,
    ExecutionTimeout,
}

impl From<&Result<(), GuestFailure>> for CallOutcome {
    fn from(result: &Result<(), GuestFailure>) -> Self {
        match result {
            Ok(()) => CallOutcome::Returned,
            Err(GuestFailure::Trapped(trap)) => CallOutcome::Trapped { trap: *trap },
            Err(GuestFailure::FuelExhausted) => CallOutcome::FuelExhausted,
            Err(GuestFailure::Timeout) => CallOutcome::ExecutionTimeout,
        }
    }
}

/// One call into a lifecycle export and how it ended: which exports a runtime entered,
/// in what order and how often is part of what the suite compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestCall {
    pub export: Entry,
    #[serde(flatten)]
    pub outcome: CallOutcome,
}

impl GuestCall {
    pub fn new(export: Entry, outcome: CallOutcome) -> Self {
        GuestCall { export, outcome }
    }
}

impl fmt::Display for GuestCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call {}: ", self.export)?;
        match self.outcome {
            CallOutcome::Returned => f.write_str("returned"),
            CallOutcome::Trapped { trap } => write!(f, "trapped ({trap})"),
            CallOutcome::FuelExhausted => f.write_str("fuel exhausted"),
            CallOutcome::ExecutionTimeout => f.write_str("timed out"),
        }
    }
}

/// One observable event of a component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A state change; always one the transition table allows.
    Transition { from: State, to: State },
    /// A call into a lifecycle export, with how it ended.
    GuestCall(GuestCall),
    /// The limiter refused a memory or table growth (the guest saw -1).
    GrowthDenied {
        resource: Resource,
        current: u64,
        desired: u64,
    },
    /// An operation returned this error.
    Error { error: Error },
    /// stop() met this problem and went on.
    Warning { warning: Warning },
    /// The caller dropped an operation's future before it finished; the component was
    /// moved to a safe state and its store released.
    Cancelled { operation: &'static str },
    /// An event reported by an out-of-process runtime, in its display form.
    Reported { text: String },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Transition { from, to } => write!(f, "{from} -> {to}"),
            Event::GuestCall(call) => call.fmt(f),
            Event::GrowthDenied {
                resource,
                current,
                desired,
            } => write!(f, "{resource} growth denied ({current} -> {desired})"),
            Event::Error { error } => write!(f, "error: {error}"),
            Event::Warning { warning } => write!(f, "warning: {warning}"),
            Event::Cancelled { operation } => write!(f, "{operation} cancelled by the caller"),
            Event::Reported { text } => f.write_str(text),
        }
    }
}

/// The transitions among `events`, in order.
pub fn transitions(events: &[Event]) -> Vec<(State, State)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Transition { from, to } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

/// The guest calls among `events`, in order.
pub fn guest_calls(events: &[Event]) -> Vec<GuestCall> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::GuestCall(call) => Some(*call),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn guest_calls_serialize_flat_and_round_trip() {
        let call = GuestCall::new(
            Entry::HandleMessage,
            CallOutcome::Trapped {
                trap: TrapCode::Unreachable,
            },
        );
        let value =
            json!({"export": "handle-message", "outcome": "trapped", "trap": "unreachable"});
        assert_eq!(serde_json::to_value(call).unwrap(), value);
        assert_eq!(serde_json::from_value::<GuestCall>(value).unwrap(), call);
        assert_eq!(
            serde_json::to_value(Event::GuestCall(call)).unwrap(),
            json!({"event": "guest_call", "export": "handle-message", "outcome": "trapped", "trap": "unreachable"})
        );
        assert_eq!(
            call.to_string(),
            "call handle-message: trapped (unreachable)"
        );
        let returned = GuestCall::new(Entry::Start, CallOutcome::Returned);
        assert_eq!(returned.to_string(), "call _start: returned");
    }
}
