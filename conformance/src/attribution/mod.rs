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
//! The one table from a divergence to the SPEC clause it breaks is in `clauses.rs`
//! ([`outcome_clause`], [`call_clause`], [`transition_clause`]): the runner's verdicts,
//! the per-clause report and fuzzing's signatures all read it, and nothing else maps a
//! difference to a clause. Finding the divergences of one run from its expectation is
//! `divergence.rs` (outcomes, guest calls, final state, counters) and `transitions.rs`
//! (the state each operation leaves and the transitions it reports).
//!
//! Invariants:
//! * a [`Failure`] has a cause: it is made from a non-empty list of problems only;
//! * problems are ordered by place, then aspect, then the order they were found, so the
//!   same run always names the same cause.

mod clauses;
mod context;
mod divergence;
mod transitions;

pub use clauses::{call_clause, clauses_checked, outcome_clause, transition_clause};
pub use context::{Context, describe};
pub use divergence::{divergences, first_cause};

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

#[cfg(test)]
mod tests {
    use super::*;
    use lifecycle_contract::{Error, Fault, Outcome, Stage};

    /// A message `hi` with `reply`, or failed at `handle-message` with the fault.
    pub(super) fn message(reply: Result<&[u8], Fault>) -> Outcome {
        Outcome::Message {
            message: b"hi".to_vec(),
            reply: reply
                .map(<[u8]>::to_vec)
                .map_err(|f| Error::new(Stage::HandleMessage, f)),
        }
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
