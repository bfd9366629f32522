//! First-cause attribution: what a failing case's problems are, where in the trace each
//! shows, which clause each breaks, and which one came first.
//!
//! A runtime that fails one clause usually shows it several times over: a message that
//! never reaches the guest leaves its reply empty, its guest calls missing, its memory
//! ungrown and its later health different. The runner and `fuzz` record every such
//! [`Problem`] with its [`Place`] in the trace and its [`Aspect`]; a [`Failure`] leads
//! with the earliest (the first operation that diverged, and within it the first of: the
//! guest entered where it should not be, or not entered by an operation that claims
//! success; its outcome; the state it left; its timing; its guest calls; its
//! transitions; then the counters) and lists the rest as consequences.
//!
//! This module also holds the one table from a divergence to the SPEC clause it breaks
//! ([`outcome_clause`], [`call_clause`], [`transition_clause`]): the runner's verdicts,
//! the per-clause report and fuzzing's signatures all read it, and nothing else maps a
//! difference to a clause.
//!
//! Invariants:
//! * a [`Failure`] has a cause: it is made from a non-empty list of problems only;
//! * problems are ordered by place, then aspect, then the order they were found, so the
//!   same run always names the same cause.

use crate::trace::{self, Trace};
use lifecycle_contract::error::{ExportReason, RejectReason, ValidationReason};
use lifecycle_contract::{
    Entry, Event, Fault, GuestCall, HealthReason, Operation, Outcome, Stage, State, Step, Summary,
    TrapCode,
};
use std::fmt;

/// Which operation of a case: the cycle (1-based), the step (0-based; the number of
/// steps for what is judged once the steps are done, when every component was let go)
/// and the component (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    pub cycle: u32,
    pub step: usize,
    pub component: usize,
}

/// What about an operation diverged, in the order a cause is looked for within one
/// operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Aspect {
    /// The guest was entered where the contract does not enter it, or an operation that
    /// claims success did not enter it where the contract does: whatever the operation
    /// then returned follows from that.
    Entry,
    /// How the operation ended: its result, error or health.
    Outcome,
    /// The state the operation left the component in.
    State,
    /// When a timeout fired against its limit.
    Timing,
    /// Which exports the guest entered, and how each call ended.
    Calls,
    /// The state changes reported.
    Transitions,
    /// What the runtime held right after the operation (live instances, memory).
    Counters,
    /// The component's final state.
    FinalState,
    /// What the case as a whole shows: compilations, the precision of its timeouts, an
    /// invariant.
    Case,
    /// The runtime could not be judged: it stopped answering, panicked or overran.
    Runner,
}

/// One way a case fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The SPEC clause it breaks; `None` when it names none (a panic, a watchdog, an
    /// adapter outside the protocol): then it counts under the case's own clauses.
    pub clause: Option<String>,
    /// Where it shows; `None` for what is judged over the whole case.
    pub place: Option<Place>,
    pub aspect: Aspect,
    /// One line for a person, starting with the clause (`LC-MSG-1: ...`) where there is
    /// one.
    pub text: String,
    /// What tells this failure from another for fuzzing's signatures: a path into the
    /// outcome with the two values, or the text with its numbers masked.
    pub field: String,
    /// More lines, shown under the cause only (a diff of the whole trace).
    pub detail: Option<String>,
}

impl Problem {
    /// A problem the runner finds and words itself: `text` begins with its clause
    /// (`LC-TEARDOWN-1: ...`) or names none.
    pub fn said(place: Option<Place>, aspect: Aspect, text: String) -> Problem {
        let (clause, rest) = match text.split_once(": ") {
            Some((id, rest)) if id.starts_with("LC-") && !id.contains(' ') => {
                (Some(id.to_string()), rest)
            }
            _ => (None, text.as_str()),
        };
        let field = crate::difference::masked(rest);
        Problem {
            clause,
            place,
            aspect,
            field,
            text,
            detail: None,
        }
    }

    /// A problem of `clause` at `place`, worded `text` (without the clause), signed by
    /// `field`.
    fn divergence(
        clause: &str,
        place: Option<Place>,
        aspect: Aspect,
        text: String,
        field: String,
    ) -> Problem {
        Problem {
            clause: Some(clause.to_string()),
            place,
            aspect,
            text: format!("{clause}: {text}"),
            field,
            detail: None,
        }
    }
}

/// The order problems come in: by place, what has none (judged over the whole case)
/// after every place; then by aspect.
fn sort_key(p: &Problem) -> (bool, Option<Place>, Aspect) {
    (p.place.is_none(), p.place, p.aspect)
}

/// Where a failure whose cause names no clause counts: the per-clause table's row and
/// fuzzing's signature for a runtime that could not be judged.
pub const UNATTRIBUTED: &str = "(runner)";

/// A failing case: the problem that came first, and what followed from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub cause: Problem,
    pub consequences: Vec<Problem>,
    /// What the runner did not check because the trace had already diverged.
    pub notes: Vec<String>,
}

impl Failure {
    /// The failure of these problems, led by the first; `None` when there are none.
    pub fn of(mut problems: Vec<Problem>, notes: Vec<String>) -> Option<Failure> {
        problems.sort_by_key(sort_key);
        let mut problems = problems.into_iter();
        let cause = problems.next()?;
        Some(Failure {
            cause,
            consequences: problems.collect(),
            notes,
        })
    }

    /// A failure with one problem: a runner problem that ended the case.
    pub fn single(problem: Problem) -> Failure {
        Failure {
            cause: problem,
            consequences: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The first line a person reads.
    pub fn headline(&self) -> &str {
        &self.cause.text
    }

    /// The clause the failure counts under: its cause's, or [`UNATTRIBUTED`] when the
    /// cause names none (the runtime panicked, overran the watchdog or broke the adapter
    /// protocol), never a clause that did not diverge.
    pub fn clause(&self) -> &str {
        self.cause.clause.as_deref().unwrap_or(UNATTRIBUTED)
    }
}

/// The consequences a failure shows, of however many it has.
const SHOWN: usize = 10;

impl fmt::Display for Failure {
    /// The cause; the consequences, one line each; the notes; then the detail (the
    /// expected and actual trace side by side) of the first problem that has one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cause.text)?;
        if !self.consequences.is_empty() {
            write!(f, "\n{} consequence(s) of it:", self.consequences.len())?;
            for p in self.consequences.iter().take(SHOWN) {
                write!(f, "\n  then {}", p.text)?;
            }
            if self.consequences.len() > SHOWN {
                write!(f, "\n  and {} more", self.consequences.len() - SHOWN)?;
            }
        }
        for note in &self.notes {
            write!(f, "\nnote: {note}")?;
        }
        let detail = std::iter::once(&self.cause)
            .chain(&self.consequences)
            .find_map(|p| p.detail.as_ref());
        if let Some(detail) = detail {
            write!(f, "\n{}", detail.trim_end())?;
        }
        Ok(())
    }
}

impl serde::Serialize for Failure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

// ---------------------------------------------------------------------------------------
// The table: a divergence to the clause it breaks.

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

// ---------------------------------------------------------------------------------------
// Finding the divergences of one component's run from its expectation.

fn step_name(step: Option<&Step>) -> &'static str {
    match step {
        Some(Step::Start) => "start",
        Some(Step::Send(_)) => "message",
        Some(Step::Health) => "health",
        Some(Step::Stop(_)) => "stop",
        None => "operation",
    }
}

/// Where an operation is, for a person: `step 2 (message)`, with the component and the
/// cycle when the case has several.
pub fn describe(place: Place, steps: &[Step], components: usize, cycles: u32) -> String {
    let mut here = if place.step >= steps.len() {
        "after the steps, every component let go".to_string()
    } else {
        format!(
            "step {} ({})",
            place.step + 1,
            step_name(steps.get(place.step))
        )
    };
    if components > 1 && place.step < steps.len() {
        here += &format!(" of component {}", place.component + 1);
    }
    if cycles > 1 {
        here += &format!(" in cycle {}", place.cycle);
    }
    here
}

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

/// Where a case is, for the words of its problems.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub steps: &'a [Step],
    pub components: usize,
    pub cycles: u32,
    pub cycle: u32,
    pub component: usize,
}

impl Context<'_> {
    fn place(&self, step: usize) -> Place {
        Place {
            cycle: self.cycle,
            step,
            component: self.component,
        }
    }

    fn here(&self, step: usize) -> String {
        describe(self.place(step), self.steps, self.components, self.cycles)
    }
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
fn by_operation(ops: &[Operation], transitions: &[(State, State)]) -> Vec<Vec<(State, State)>> {
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

/// The clause a component left in the wrong state breaks: never left `starting`
/// (LC-STATE-6) or `stopping` (LC-STOP-1); changed by a health check (LC-HEALTH-1); not
/// failed by a fatal message (LC-STATE-7) or a failed start (LC-STATE-6); failed by a
/// message that is no fatal error (that outcome's own rule: LC-MSG-4 for an application
/// error); else the transition table (LC-STATE-2).
fn state_clause(outcome: &Outcome, expected: State, shown: State) -> &'static str {
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

/// Per operation, where the state it left and the transitions it reported first differ
/// from the expectation's: once for each operation that began in agreement (what
/// follows from a state already wrong is not said again).
fn transition_divergences(expected: &Summary, trace: &Trace, at: Context<'_>) -> Vec<Problem> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use lifecycle_contract::{Error, Health};

    fn message(reply: Result<&[u8], Fault>) -> Outcome {
        Outcome::Message {
            message: b"hi".to_vec(),
            reply: reply
                .map(<[u8]>::to_vec)
                .map_err(|f| Error::new(Stage::HandleMessage, f)),
        }
    }

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

    #[test]
    fn a_failure_leads_with_the_earliest_place_then_aspect() {
        let at = |step, aspect, text: &str| {
            Problem::said(
                Some(Place {
                    cycle: 1,
                    step,
                    component: 0,
                }),
                aspect,
                text.into(),
            )
        };
        let failure = Failure::of(
            vec![
                Problem::said(None, Aspect::Case, "LC-START-7: counted".into()),
                at(1, Aspect::Counters, "LC-TEARDOWN-3: memory"),
                at(1, Aspect::Calls, "LC-MSG-1: no calls"),
                at(2, Aspect::Outcome, "LC-HEALTH-2: healthy"),
            ],
            Vec::new(),
        )
        .unwrap();
        assert_eq!(failure.cause.clause.as_deref(), Some("LC-MSG-1"));
        let rest: Vec<_> = failure
            .consequences
            .iter()
            .map(|p| p.clause.clone().unwrap())
            .collect();
        assert_eq!(rest, ["LC-TEARDOWN-3", "LC-HEALTH-2", "LC-START-7"]);
        assert!(Failure::of(Vec::new(), Vec::new()).is_none());
    }
}
