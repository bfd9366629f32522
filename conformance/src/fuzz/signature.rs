//! How a case fails: the clause its first cause breaks and the field where that shows. A shrink keeps
//! a reduction only if it fails the same way, so that the minimal case shows the bug that
//! was found and not some other one met on the way.

use crate::runner::{CaseResult, Verdict};
use serde::Serialize;

/// A failure's identity: a clause id and where it shows (a path into the outcome, with
/// the expected and actual values where they are not message bytes; or the problem's
/// words with every number masked).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct Signature {
    pub clause: String,
    pub field: String,
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.clause, self.field)
    }
}

impl Signature {
    /// How `result` fails; `None` if it does not fail the run: its first cause
    /// ([`crate::attribution`]), by the clause it breaks (`(runner)` when it names none)
    /// and the field it shows in.
    pub fn of(result: &CaseResult) -> Option<Signature> {
        let Verdict::Fail(failure) = &result.verdict else {
            return None;
        };
        Some(Signature {
            clause: failure.clause().to_string(),
            field: failure.cause.field.clone(),
        })
    }
}
