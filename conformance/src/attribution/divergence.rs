//! How one component's run differs from its expectation, operation by operation: its
//! outcome, the guest calls it made, how many operations, its final state and what was
//! still held once it was let go, each a [`Problem`] at its [`Place`](super::Place), worded for a
//! person ([`describe`]).
//!
//! Invariant: each divergence names the clause the table gives it (`clauses.rs`), and a
//! field that tells it apart from another for fuzzing's signatures.

use super::clauses::{call_clause, outcome_clause};
use super::context::Context;
use super::transitions::{by_operation, transition_divergences};
use super::{Aspect, Failure, Problem};
use crate::trace::{self, Trace};
use lifecycle_contract::{Event, GuestCall, HealthReason, Outcome, State, Step, Summary};

/// Whether an operation's outcome says it did what was asked: a start or message that
/// succeeded, a health check of a `ready` component, a stop without error.
fn claims_success(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Health(h) => !matches!(h.reason, Some(HealthReason::NotReady { .. })),
        other => other.error().is_none(),
    }
}

/// Guest calls for a person: `alloc (returned), handle-message (trapped: unreachable)`.
fn calls_text(calls: &[GuestCall]) -> String {
    if calls.is_empty() {
        return "no export".into();
    }
    calls
        .iter()
        .map(|c| {
            let outcome = serde_json::to_value(c.outcome).unwrap_or_default();
            let name = outcome["outcome"].as_str().unwrap_or_default().to_string();
            match outcome["trap"].as_str() {
                Some(trap) => format!("{} ({name}: {trap})", c.export),
                None => format!("{} ({name})", c.export),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every way `trace` differs from `expected`, each at its place: per operation its
/// outcome and its guest calls; the first transition that differs, at the operation that
/// reported it (or, when one is missing, the operation after the last that agreed); the
/// final state; what was still held once the component was let go.
pub fn divergences(expected: &Summary, trace: &Trace, at: Context<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let actual = trace.summary().without_detail();
    for (i, (e, a)) in expected.ops.iter().zip(&actual.ops).enumerate() {
        let here = at.here(i);
        if e.outcome != a.outcome {
            let clause = outcome_clause(&e.outcome, &a.outcome);
            let field =
                crate::difference::first_difference(&e.outcome.to_json(), &a.outcome.to_json())
                    .map_or_else(
                        || "ops".into(),
                        |f| format!("ops[{}].{f}", e.outcome.name()),
                    );
            let (want, shown) = (e.outcome.headline(), a.outcome.headline());
            // Where the two read alike, the field that differs says how.
            let how = match want == shown {
                true => format!(" ({field})"),
                false => String::new(),
            };
            problems.push(Problem::divergence(
                clause,
                Some(at.place(i)),
                Aspect::Outcome,
                format!("{here} should end `{want}` but ended `{shown}`{how}"),
                field,
            ));
        }
        // The runtime stopped entering the guest where the expectation goes on: the
        // calls it made agree, and end early.
        let stopped_short = a.calls.len() < e.calls.len() && e.calls.starts_with(&a.calls);
        if stopped_short {
            let missing = &e.calls[a.calls.len()..];
            // An operation that claims success without running the guest: that is the
            // cause, and its outcome follows from it. A refusal explains itself.
            let aspect = match claims_success(&a.outcome) {
                true => Aspect::Entry,
                false => Aspect::Calls,
            };
            let what = match a.calls.is_empty() {
                true => "never entered the guest".to_string(),
                false => format!("stopped entering the guest after {}", calls_text(&a.calls)),
            };
            problems.push(Problem::divergence(
                call_clause(missing[0].export, &e.outcome),
                Some(at.place(i)),
                aspect,
                format!(
                    "{here} {what}: it should call {} (no call reported: the runtime did not enter the guest, or did not report it, LC-REPORT-1)",
                    calls_text(missing)
                ),
                format!("ops[{}].calls: not entered", e.outcome.name()),
            ));
        } else if a.calls.len() > e.calls.len() && a.calls.starts_with(&e.calls) {
            // The runtime entered the guest beyond the expectation: the extra call is the
            // cause of whatever the operation then shows.
            let extra = &a.calls[e.calls.len()..];
            // Where the contract refuses the operation, its refusal is the rule broken
            // (a message too large, a health check outside `ready`); else the export's.
            let clause = match claims_success(&e.outcome) {
                true => call_clause(extra[0].export, &e.outcome),
                false => outcome_clause(&e.outcome, &e.outcome),
            };
            problems.push(Problem::divergence(
                clause,
                Some(at.place(i)),
                Aspect::Entry,
                format!(
                    "{here} entered the guest where it should not: {} (the contract calls {})",
                    calls_text(extra),
                    calls_text(&e.calls)
                ),
                format!("ops[{}].calls: entered", e.outcome.name()),
            ));
        } else if e.calls != a.calls {
            let k = e
                .calls
                .iter()
                .zip(&a.calls)
                .position(|(x, y)| x != y)
                .unwrap_or(e.calls.len().min(a.calls.len()));
            let export = e.calls.get(k).or(a.calls.get(k)).map(|c| c.export);
            let clause = export.map_or("LC-REPORT-1", |x| call_clause(x, &e.outcome));
            let field = crate::difference::first_difference(
                &serde_json::json!(e.calls),
                &serde_json::json!(a.calls),
            )
            .unwrap_or_default();
            problems.push(Problem::divergence(
                clause,
                Some(at.place(i)),
                Aspect::Calls,
                format!(
                    "{here} should call {} but the runtime reported {}",
                    calls_text(&e.calls),
                    calls_text(&a.calls)
                ),
                format!("ops[{}].calls{field}", e.outcome.name()),
            ));
        }
    }
    if expected.ops.len() != actual.ops.len() {
        problems.push(Problem::divergence(
            "LC-REPORT-1",
            None,
            Aspect::Outcome,
            format!(
                "{} operation(s) expected, {} shown",
                expected.ops.len(),
                actual.ops.len()
            ),
            "ops: count".into(),
        ));
    }
    problems.extend(transition_divergences(expected, trace, at));
    if expected.final_state != actual.final_state {
        let clause = match expected.final_state {
            State::Terminated => "LC-STOP-1",
            _ => "LC-REPORT-1",
        };
        problems.push(Problem::divergence(
            clause,
            Some(at.place(at.steps.len().saturating_sub(1))),
            Aspect::FinalState,
            format!(
                "the component should end `{}` but ended `{}`",
                expected.final_state, actual.final_state
            ),
            format!(
                "final_state: {:?} expected, {:?} shown",
                expected.final_state.as_str(),
                actual.final_state.as_str()
            ),
        ));
    }
    let (live, memory) = (actual.live_instances, actual.accounted_memory_bytes);
    if (expected.live_instances, expected.accounted_memory_bytes) != (live, memory) {
        problems.push(Problem::divergence(
            "LC-TEARDOWN-1",
            Some(at.place(at.steps.len())),
            Aspect::Counters,
            format!(
                "once every component was let go the runtime should hold {} live instance(s) and {} byte(s), and holds {live} and {memory}",
                expected.live_instances, expected.accounted_memory_bytes
            ),
            "held after drop".into(),
        ));
    }
    problems
}

/// The first cause of how one whole run differs from another held right (for two
/// runtimes compared on one module): [`divergences`] over `actual` as a trace, its
/// transitions given to the operations that can make them (a summary does not say).
pub fn first_cause(expected: &Summary, actual: &Summary, steps: &[Step]) -> Option<Problem> {
    let transitions = by_operation(&actual.ops, &actual.transitions);
    let trace = Trace {
        ops: actual
            .ops
            .iter()
            .zip(transitions)
            .map(|(op, made)| {
                let calls = op.calls.iter().map(|c| Event::GuestCall(*c));
                let transitions = made
                    .into_iter()
                    .map(|(from, to)| Event::Transition { from, to });
                trace::Op {
                    outcome: op.outcome.clone(),
                    events: calls.chain(transitions).collect(),
                    held: Default::default(),
                }
            })
            .collect(),
        final_state: actual.final_state,
        live_instances: actual.live_instances,
        accounted_memory_bytes: actual.accounted_memory_bytes,
    };
    let at = Context {
        steps,
        components: 1,
        cycles: 1,
        cycle: 1,
        component: 0,
    };
    Failure::of(divergences(expected, &trace, at), Vec::new()).map(|f| f.cause)
}
