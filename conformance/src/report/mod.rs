//! The report of a run, and its three renderings: for people (`human.rs`, grouped by
//! clause), JSON (`json.rs`) and JUnit XML (`junit.rs`). Each renderer is a function of a
//! [`RunReport`]; what they count (the totals, the per-clause rows, the unsupported cases
//! by capability, the coverage) is counted in `tally.rs`, once, by rules every renderer
//! shares.
//!
//! Invariants: a renderer decides only how things look; whether a case fails the run is
//! [`crate::Verdict::fails_run`], which clause a failure counts under is
//! [`RunReport::failed_under`], and a case's evidence (expected, actual, trace) is shown
//! where [`shows_evidence`] says, in every rendering alike.

mod human;
mod json;
mod junit;
mod tally;

pub use tally::{ClauseRow, Totals};

use crate::runner::{CaseResult, Verdict};

#[derive(Clone, Debug)]
pub struct RunReport {
    pub runtime: String,
    pub version: String,
    pub results: Vec<CaseResult>,
    /// Why nothing ran: the runtime under test could not be made.
    pub setup_error: Option<String>,
}

impl RunReport {
    /// For a person: a line per clause, the failing cases with their diffs, totals.
    pub fn human(&self) -> String {
        human::render(self)
    }

    /// The one summary line: every verdict counted once.
    pub fn summary_line(&self) -> String {
        human::summary_line(&self.totals())
    }

    /// One JSON object: the totals, the per-clause rows, the coverage, and each case.
    pub fn json(&self) -> serde_json::Value {
        json::render(self)
    }

    /// JUnit XML: one suite, a test case per conformance case, classed by first clause.
    pub fn junit(&self) -> String {
        junit::render(self)
    }
}

/// Whether a case's evidence (its expected and actual outcomes and its trace) is worth
/// showing: it ran and did not conform, or conformed where it was expected not to.
pub fn shows_evidence(result: &CaseResult) -> bool {
    result.verdict.fails_run() || matches!(result.verdict, Verdict::Xfail(_))
}
