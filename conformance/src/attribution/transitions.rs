//! The transitions of a run against its expectation: which operation makes which
//! transition, and, per operation, where the state it left and the transitions it
//! reported first differ from the expectation's.
//!
//! Invariant: what follows from a state already wrong is not said again: only the
//! operations that began in agreement are judged.

use super::clauses::{state_clause, transition_clause};
use super::context::Context;
use super::{Aspect, Problem};
use crate::trace::{self, Trace};
use lifecycle_contract::{Fault, Operation, Outcome, State, Summary};

/// Whether `outcome`'s operation makes `transition` (SPEC LC-STATE-2, -3, -6, -7,
/// LC-STOP-1): a start that is not refused moves out of `creating` and `starting`; a
/// message that is a fatal error (a trap, fuel, a timeout) from `ready` to `failed`; a
/// stop that is not refused into and out of `stopping`; a health check never.
fn made_by(outcome: &Outcome, (from, to): (State, State)) -> bool {
    let refused = outcome
        .error()
        .is_some_and(|e| matches!(e.fault, Fault::InvalidState { .. }));
    let fatal = outcome.error().is_some_and(|e| {
        matches!(
            e.fault,
            Fault::Trapped { .. } | Fault::FuelExhausted | Fault::ExecutionTimeout
        )
    });
    match outcome {
        _ if refused => false,
        Outcome::Start(_) => matches!(from, State::Creating | State::Starting),
        Outcome::Message { .. } => fatal && (from, to) == (State::Ready, State::Failed),
        Outcome::Health(_) => false,
        Outcome::Stop(_) => to == State::Stopping || from == State::Stopping,
    }
}

/// A summary's transitions split among its operations: each takes, in order, those it
/// can make ([`made_by`]); the last takes whatever is left.
pub(super) fn by_operation(
    ops: &[Operation],
    transitions: &[(State, State)],
) -> Vec<Vec<(State, State)>> {
    let mut rest = transitions.iter().copied().peekable();
    let last = ops.len().saturating_sub(1);
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let mut mine = Vec::new();
            while let Some(&t) = rest.peek() {
                if !(made_by(&op.outcome, t) || i == last) {
                    break;
                }
                mine.push(t);
                rest.next();
            }
            mine
        })
        .collect()
}

/// Per operation, where the state it left and the transitions it reported first differ
/// from the expectation's: once for each operation that began in agreement (what
/// follows from a state already wrong is not said again).
pub(super) fn transition_divergences(
    expected: &Summary,
    trace: &Trace,
    at: Context<'_>,
) -> Vec<Problem> {
    let want = by_operation(&expected.ops, &expected.transitions);
    let mut problems = Vec::new();
    let (mut expected_state, mut shown_state) = (State::Creating, State::Creating);
    for (i, (e, op)) in expected.ops.iter().zip(&trace.ops).enumerate() {
        let shown = trace::transitions(&op.events);
        let agreed = expected_state == shown_state;
        let before = shown_state;
        expected_state = want[i].last().map_or(expected_state, |t| t.1);
        shown_state = shown.last().map_or(shown_state, |t| t.1);
        if !agreed {
            continue;
        }
        let here = at.here(i);
        if expected_state != shown_state {
            problems.push(Problem::divergence(
                state_clause(&e.outcome, expected_state, shown_state),
                Some(at.place(i)),
                Aspect::State,
                format!("{here} should leave the component `{expected_state}` but left it `{shown_state}`"),
                format!(
                    "ops[{}].state: \"{expected_state}\" expected, \"{shown_state}\" shown",
                    e.outcome.name()
                ),
            ));
        }
        if want[i] != shown {
            let k = want[i]
                .iter()
                .zip(&shown)
                .position(|(x, y)| x != y)
                .unwrap_or(want[i].len().min(shown.len()));
            let from = k.checked_sub(1).map_or(before, |j| shown[j].1);
            let show = |t: Option<&(State, State)>| {
                t.map_or("none".into(), |(a, b)| format!("{a} -> {b}"))
            };
            let (w, s) = (show(want[i].get(k)), show(shown.get(k)));
            let list = |ts: &[(State, State)]| {
                let all: Vec<String> = ts.iter().map(|t| show(Some(t))).collect();
                format!("[{}]", all.join(", "))
            };
            let reordered =
                want[i].len() == shown.len() && want[i].iter().all(|t| shown.contains(t));
            let text = if reordered {
                format!(
                    "{here} reported its transitions in another order: {} where {} was expected",
                    list(&shown),
                    list(&want[i])
                )
            } else if want[i].get(k).is_none() {
                format!("{here} should report no further transition but reported {s}")
            } else {
                format!("{here} should report the transition {w} but reported {s}")
            };
            problems.push(Problem::divergence(
                transition_clause(from, shown.get(k).copied()),
                Some(at.place(i)),
                Aspect::Transitions,
                text,
                format!("transitions: {w} expected, {s} shown"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::clauses::state_clause;
    use crate::attribution::tests::message;
    use lifecycle_contract::TrapCode;

    #[test]
    fn transitions_go_to_the_operations_that_can_make_them() {
        use State::*;
        let op = |outcome| Operation::new(outcome, Vec::new());
        let ops = [
            op(Outcome::Start(Ok(()))),
            op(message(Ok(b""))),
            op(message(Err(Fault::Trapped {
                trap: TrapCode::Unreachable,
            }))),
            op(Outcome::Stop(Ok(Vec::new()))),
        ];
        let all = [
            (Creating, Starting),
            (Starting, Ready),
            (Ready, Failed),
            (Failed, Stopping),
            (Stopping, Terminated),
        ];
        let split = by_operation(&ops, &all);
        assert_eq!(
            split,
            [
                vec![(Creating, Starting), (Starting, Ready)],
                vec![],
                vec![(Ready, Failed)],
                vec![(Failed, Stopping), (Stopping, Terminated)],
            ],
            "only the fatal message fails the component"
        );
        let failed = message(Err(Fault::MessageError { code: 1 }));
        assert_eq!(state_clause(&failed, Ready, Failed), "LC-MSG-4");
        assert_eq!(
            state_clause(&Outcome::Start(Ok(())), Failed, Starting),
            "LC-STATE-6"
        );
    }
}
