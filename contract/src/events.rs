//! What a component reports as it runs, in order.

use crate::error::{Error, GuestFailure, Resource, TrapCode, Warning};
use crate::state::State;
use serde::Serialize;
use std::fmt;

/// How one guest call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

/// One observable event of a component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A state change; always one the transition table allows.
    Transition { from: State, to: State },
    /// A call into a lifecycle export, with how it ended.
    GuestCall {
        export: &'static str,
        #[serde(flatten)]
        outcome: CallOutcome,
    },
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
            Event::GuestCall { export, outcome } => {
                write!(f, "call {export}: ")?;
                match outcome {
                    CallOutcome::Returned => f.write_str("returned"),
                    CallOutcome::Trapped { trap } => write!(f, "trapped ({trap})"),
                    CallOutcome::FuelExhausted => f.write_str("fuel exhausted"),
                    CallOutcome::ExecutionTimeout => f.write_str("timed out"),
                }
            }
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
