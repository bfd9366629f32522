//! The report of a run, and its renderings: for people (`human.rs`, grouped by clause),
//! JSON (`json.rs`, the [`Document`] declared in `document.rs`, which also reads reports
//! back), JUnit XML (`junit.rs`) and the conformance matrix as a page (`html.rs`, of one
//! run or of several runtimes' reports). Each renderer is a function of a
//! [`RunReport`]; what they count (the totals, the per-clause rows, the unsupported cases
//! by capability, the coverage) is counted in `tally.rs`, once, by rules every renderer
//! shares.
//!
//! Invariants: a renderer decides only how things look; whether a case fails the run is
//! [`crate::Verdict::fails_run`], which clause a failure counts under is
//! [`RunReport::failed_under`], and a case's evidence (expected, actual, trace) is shown
//! where [`shows_evidence`] says, in every rendering alike.

pub mod document;
mod html;
mod human;
mod json;
mod junit;
mod tally;

pub use document::{Column, Document, RunMeta};
pub use html::matrix as html_matrix;
pub use tally::{ClauseRow, Counted, Outcome, Totals};

use crate::runner::{CaseResult, Verdict};

#[derive(Clone, Debug)]
pub struct RunReport {
    pub runtime: String,
    pub version: String,
    pub results: Vec<CaseResult>,
    /// Why nothing ran: the runtime under test could not be made.
    pub setup_error: Option<String>,
    /// What the run was: versions, date, seed, shard.
    pub meta: RunMeta,
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

    /// The conformance matrix of this one run, as a self-contained page.
    pub fn html(&self) -> String {
        let document = Document::of(self);
        let column = Column {
            runtime: document.runtime,
            version: document.version,
            sources: Vec::new(),
            metas: vec![document.meta],
            errors: document.error.into_iter().collect(),
            cases: document.cases,
        };
        html::matrix(&[column])
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
