//! The table: a divergence to the SPEC clause it breaks, by what the contract expected
//! (an outcome, a guest call, a transition, a state left).
//!
//! Invariant: this is the only place a difference is mapped to a clause; every function
//! here is total, and names a clause of SPEC.md for every input.

use lifecycle_contract::error::{ExportReason, RejectReason, ValidationReason};
use lifecycle_contract::{Entry, Fault, HealthReason, Outcome, Stage, State, Summary, TrapCode};

/// The clause a difference in an operation's outcome breaks: the clause of the outcome
/// the contract expects (its error, its reason, its health), or, where it expects
/// success, of what the runtime did instead. A trap of another code is LC-LIMIT-6
/// (LC-LIMIT-5 for a stack overflow).
pub fn outcome_clause(expected: &Outcome, actual: &Outcome) -> &'static str {
    if let (Some(e), Some(a)) = (expected.error(), actual.error())
        && let (Fault::Trapped { trap: te }, Fault::Trapped { .. }) = (&e.fault, &a.fault)
        && e.stage == a.stage
    {
        return trap_clause(*te);
    }
    match (expected, actual) {
        (Outcome::Start(e), Outcome::Start(a)) => match e.as_ref().err().or(a.as_ref().err()) {
            Some(error) => start_error_clause(error.stage, &error.fault),
            None => "LC-START-6",
        },
        (Outcome::Message { reply: e, .. }, Outcome::Message { reply: a, .. }) => {
            match e.as_ref().err().or(a.as_ref().err()) {
                Some(error) => message_error_clause(&error.fault),
                None => "LC-MSG-1",
            }
        }
        (Outcome::Health(e), Outcome::Health(a)) => match e.reason.as_ref().or(a.reason.as_ref()) {
            Some(reason) => health_clause(reason),
            None => "LC-HEALTH-2",
        },
        (Outcome::Stop(e), Outcome::Stop(a)) => match (e, a) {
            (Ok(e), Ok(a)) if e.is_empty() && a.is_empty() => "LC-STOP-1",
            (Ok(_), Ok(_)) => "LC-STOP-3",
            (Err(error), _) | (_, Err(error)) => match error.fault {
                Fault::InvalidState { .. } => "LC-STATE-5",
                _ => "LC-STOP-1",
            },
        },
        // Operations of different kinds: the driver ran other steps than expected.
        _ => "LC-REPORT-1",
    }
}

fn trap_clause(trap: TrapCode) -> &'static str {
    match trap {
        TrapCode::StackOverflow => "LC-LIMIT-5",
        _ => "LC-LIMIT-6",
    }
}

/// The start step an error belongs to (SPEC section 2).
fn start_error_clause(stage: Stage, fault: &Fault) -> &'static str {
    match fault {
        Fault::InvalidState { .. } => "LC-STATE-3",
        Fault::ComponentNotFound => "LC-START-1",
        Fault::ValidationFailed { reason } => match reason {
            ValidationReason::BadMagic => "LC-START-2",
            ValidationReason::UnsupportedFeature => "LC-START-3",
            ValidationReason::Malformed => "LC-START-4",
        },
        Fault::LoadFailed | Fault::EngineInitialization => "LC-START-5",
        Fault::BadExport { reason, .. } => match reason {
            ExportReason::Missing => "LC-EXPORT-2",
            _ => "LC-EXPORT-1",
        },
        Fault::LinkFailed { .. } => "LC-LINK-1",
        Fault::ResourceLimitExceeded { .. } => "LC-INST-1",
        Fault::FuelExhausted => "LC-LIMIT-3",
        Fault::ExecutionTimeout => "LC-LIMIT-4",
        Fault::Trapped { trap } if stage == Stage::Instantiate => match trap {
            TrapCode::MemoryOutOfBounds | TrapCode::TableOutOfBounds => "LC-INST-2",
            _ => "LC-INST-3",
        },
        Fault::Trapped { .. } => "LC-START-6",
        Fault::StartRefused { .. } => "LC-CM-4",
        // Kinds no start step gives: the start reported a message's error.
        Fault::MessageRejected { .. }
        | Fault::MessageError { .. }
        | Fault::MissingExport { .. } => "LC-STATE-1",
    }
}

/// The message rule an error belongs to (SPEC section 3).
fn message_error_clause(fault: &Fault) -> &'static str {
    match fault {
        Fault::InvalidState { .. } => "LC-STATE-4",
        Fault::MissingExport { .. } => "LC-MSG-6",
        Fault::MessageRejected { reason } => match reason {
            RejectReason::TooLarge => "LC-MSG-2",
            RejectReason::AllocOutOfBounds => "LC-MSG-3",
            RejectReason::ReplyOutOfBounds | RejectReason::ReplyTooLarge => "LC-MSG-5",
        },
        Fault::MessageError { .. } => "LC-MSG-4",
        Fault::Trapped { .. } => "LC-MSG-7",
        Fault::FuelExhausted => "LC-LIMIT-3",
        Fault::ExecutionTimeout => "LC-LIMIT-4",
        _ => "LC-MSG-1",
    }
}

fn health_clause(reason: &HealthReason) -> &'static str {
    match reason {
        HealthReason::NotReady { .. } => "LC-HEALTH-4",
        HealthReason::GuestReported | HealthReason::UnknownHealthCode { .. } => "LC-HEALTH-2",
        HealthReason::Trapped { .. }
        | HealthReason::FuelExhausted
        | HealthReason::ExecutionTimeout => "LC-HEALTH-3",
    }
}

/// The clause a difference in the guest calls breaks: the rule for entering that export
/// (the expected call's, or the one the runtime made instead). A health check outside
/// `ready` that entered `_health` breaks LC-HEALTH-4.
pub fn call_clause(export: Entry, outcome: &Outcome) -> &'static str {
    match export {
        Entry::Start => "LC-START-6",
        Entry::Alloc | Entry::HandleMessage => "LC-MSG-1",
        Entry::Health => match outcome {
            Outcome::Health(h) if matches!(h.reason, Some(HealthReason::NotReady { .. })) => {
                "LC-HEALTH-4"
            }
            _ => "LC-HEALTH-2",
        },
        Entry::Cleanup => "LC-STOP-2",
    }
}

/// The clause a difference in the transitions breaks: LC-STATE-2 when the runtime
/// reported a change the table forbids (or from a state it was not in); otherwise
/// LC-REPORT-1 (a change missing, or reported in another order).
pub fn transition_clause(before: State, shown: Option<(State, State)>) -> &'static str {
    match shown {
        Some((from, to)) if from != before || !from.can_become(to) => "LC-STATE-2",
        _ => "LC-REPORT-1",
    }
}

/// The clauses an expected run checks, by the same table: each operation's outcome and
/// guest calls, and the transitions (LC-STATE-2). A generated case names these.
pub fn clauses_checked(expected: &Summary) -> std::collections::BTreeSet<&'static str> {
    let mut clauses = std::collections::BTreeSet::from(["LC-STATE-2"]);
    for op in &expected.ops {
        clauses.insert(outcome_clause(&op.outcome, &op.outcome));
        for call in &op.calls {
            clauses.insert(call_clause(call.export, &op.outcome));
        }
    }
    clauses
}

/// The clause a component left in the wrong state breaks: never left `starting`
/// (LC-STATE-6) or `stopping` (LC-STOP-1); changed by a health check (LC-HEALTH-1); not
/// failed by a fatal message (LC-STATE-7) or a failed start (LC-STATE-6); failed by a
/// message that is no fatal error (that outcome's own rule: LC-MSG-4 for an application
/// error); else the transition table (LC-STATE-2).
pub(super) fn state_clause(outcome: &Outcome, expected: State, shown: State) -> &'static str {
    match (outcome, expected, shown) {
        (_, _, State::Starting) => "LC-STATE-6",
        (_, _, State::Stopping) | (Outcome::Stop(_), _, _) => "LC-STOP-1",
        (Outcome::Health(_), _, _) => "LC-HEALTH-1",
        (Outcome::Message { .. }, State::Failed, _) => "LC-STATE-7",
        // A message that is no fatal error leaves the component `ready`: its own rule.
        (Outcome::Message { .. }, State::Ready, _) => outcome_clause(outcome, outcome),
        (Outcome::Start(_), State::Failed, _) => "LC-STATE-6",
        _ => "LC-STATE-2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::tests::message;
    use lifecycle_contract::{Error, Health};

    #[test]
    fn each_outcome_difference_names_the_clause_of_the_expected_behaviour() {
        assert_eq!(
            outcome_clause(&message(Ok(b"hi")), &message(Ok(b""))),
            "LC-MSG-1"
        );
        assert_eq!(
            outcome_clause(
                &message(Err(Fault::MessageError { code: 7 })),
                &message(Ok(b""))
            ),
            "LC-MSG-4"
        );
        assert_eq!(
            outcome_clause(&message(Ok(b"")), &message(Err(Fault::FuelExhausted))),
            "LC-LIMIT-3"
        );
        let trap = |trap| Err(Fault::Trapped { trap });
        assert_eq!(
            outcome_clause(
                &message(trap(TrapCode::Unreachable)),
                &message(trap(TrapCode::Other))
            ),
            "LC-LIMIT-6"
        );
        let degraded = Outcome::Health(Health {
            status: lifecycle_contract::HealthStatus::Degraded,
            reason: Some(HealthReason::GuestReported),
        });
        let healthy = Outcome::Health(Health {
            status: lifecycle_contract::HealthStatus::Healthy,
            reason: None,
        });
        assert_eq!(outcome_clause(&degraded, &healthy), "LC-HEALTH-2");
        let bad_magic = Outcome::Start(Err(Error::new(
            Stage::Validate,
            Fault::ValidationFailed {
                reason: ValidationReason::BadMagic,
            },
        )));
        assert_eq!(
            outcome_clause(&Outcome::Start(Ok(())), &bad_magic),
            "LC-START-2"
        );
    }

    #[test]
    fn transitions_the_table_forbids_break_lc_state_2_and_missing_ones_lc_report_1() {
        use State::*;
        assert_eq!(
            transition_clause(Creating, Some((Creating, Ready))),
            "LC-STATE-2"
        );
        assert_eq!(
            transition_clause(Ready, Some((Starting, Ready))),
            "LC-STATE-2"
        );
        assert_eq!(transition_clause(Ready, None), "LC-REPORT-1");
        assert_eq!(
            transition_clause(Ready, Some((Ready, Failed))),
            "LC-REPORT-1"
        );
    }
}
