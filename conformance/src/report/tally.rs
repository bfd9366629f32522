//! What a report counts, counted once, for a run and for reports read back alike
//! ([`Counted`]): the totals, the per-clause table, the cases
//! unsupported by capability, and which cases name each clause.
//!
//! Invariant: each case counts once in the totals, and once in each row of the table
//! (see [`RunReport::clause_rows`]): so every row adds up, `cases = pass + fail +
//! unsupported + xfail`.

use super::RunReport;
use crate::case::COMPONENT_FORM;
use crate::runner::{CaseResult, Verdict};
use crate::subject::Capability;
use lifecycle_contract::Abi;
use std::collections::BTreeMap;

/// One clause's row of the per-clause table (see [`RunReport::clause_rows`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClauseRow {
    /// The cases counted in this row: `pass + fail + unsupported + xfail`.
    pub cases: usize,
    pub pass: usize,
    /// Failures whose first cause breaks this clause (and xpasses of cases naming it first).
    pub fail: usize,
    pub unsupported: usize,
    pub xfail: usize,
    /// The consequences folded into this row's failures.
    pub consequences: usize,
    /// Cases naming this clause that failed first under another one: not in `cases`.
    pub elsewhere: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub unsupported: usize,
    pub xfail: usize,
    pub xpass: usize,
}

/// A verdict's kind, without its evidence: what the tally counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Unsupported,
    Xfail,
    Xpass,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Unsupported,
        Outcome::Xfail,
        Outcome::Xpass,
    ];

    /// Its name in reports: `pass`, `fail`, `unsupported`, `xfail`, `xpass`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unsupported => "unsupported",
            Outcome::Xfail => "xfail",
            Outcome::Xpass => "xpass",
        }
    }

    /// The outcome named `name` in a report.
    pub fn named(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// What the tally needs of a case: a case run now ([`CaseResult`]) and a case read back
/// from a JSON report ([`super::document::CaseEntry`]) are counted by the same rules.
pub trait Counted {
    fn clauses(&self) -> &[String];
    fn abi(&self) -> Abi;
    fn outcome(&self) -> Outcome;
    /// The clause of a failure's first cause.
    fn first_cause(&self) -> Option<&str>;
    /// How many consequences a failure folds into its first cause.
    fn consequences(&self) -> usize;

    /// The clause a case that fails the run counts under, once: a failure's first
    /// cause ([`crate::attribution`]); an xpass's first clause (its expectation is stale).
    fn failed_under(&self) -> Option<&str> {
        match self.outcome() {
            Outcome::Fail => self.first_cause(),
            Outcome::Xpass => self.clauses().first().map(String::as_str),
            _ => None,
        }
    }
}

impl Counted for CaseResult {
    fn clauses(&self) -> &[String] {
        &self.clauses
    }
    fn abi(&self) -> Abi {
        self.abi
    }
    fn outcome(&self) -> Outcome {
        match self.verdict {
            Verdict::Pass => Outcome::Pass,
            Verdict::Fail(_) => Outcome::Fail,
            Verdict::Unsupported(_) => Outcome::Unsupported,
            Verdict::Xfail(_) => Outcome::Xfail,
            Verdict::Xpass(_) => Outcome::Xpass,
        }
    }
    fn first_cause(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Fail(failure) => Some(failure.clause()),
            _ => None,
        }
    }
    fn consequences(&self) -> usize {
        match &self.verdict {
            Verdict::Fail(failure) => failure.consequences.len(),
            _ => 0,
        }
    }
}

/// The totals of `cases`: each counted once.
pub fn totals<C: Counted>(cases: &[C]) -> Totals {
    let mut t = Totals {
        total: cases.len(),
        ..Totals::default()
    };
    for c in cases {
        match c.outcome() {
            Outcome::Pass => t.passed += 1,
            Outcome::Fail => t.failed += 1,
            Outcome::Unsupported => t.unsupported += 1,
            Outcome::Xfail => t.xfail += 1,
            Outcome::Xpass => t.xpass += 1,
        }
    }
    t
}

/// The per-clause table of `cases`: a row per clause any case names or any failure's
/// first cause breaks, and per ABI: a clause's row of component cases is
/// `CLAUSE@component` (the suffix of the cases' component forms). Each case counts once
/// in a row: a failing case under its first cause only (with the consequences folded
/// into it); in the rows of the other clauses it names it is `elsewhere`, outside that
/// row's cases. So in every row `cases = pass + fail + unsupported + xfail` (an xpass
/// counts as a fail).
pub fn clause_rows<C: Counted>(cases: &[C]) -> BTreeMap<String, ClauseRow> {
    let mut rows: BTreeMap<String, ClauseRow> = BTreeMap::new();
    for r in cases {
        let key = |clause: &str| match r.abi() {
            Abi::Core => clause.to_string(),
            Abi::Component => format!("{clause}{COMPONENT_FORM}"),
        };
        let failed_under = r.failed_under();
        if let Some(clause) = failed_under {
            let row = rows.entry(key(clause)).or_default();
            row.cases += 1;
            row.fail += 1;
            row.consequences += r.consequences();
        }
        for clause in r.clauses().iter().map(String::as_str) {
            if Some(clause) == failed_under {
                continue;
            }
            let row = rows.entry(key(clause)).or_default();
            match r.outcome() {
                Outcome::Pass => row.pass += 1,
                Outcome::Unsupported => row.unsupported += 1,
                Outcome::Xfail => row.xfail += 1,
                Outcome::Fail | Outcome::Xpass => {
                    row.elsewhere += 1;
                    continue;
                }
            }
            row.cases += 1;
        }
    }
    rows
}

impl RunReport {
    pub fn totals(&self) -> Totals {
        totals(&self.results)
    }

    /// Whether the run fails: any fail or xpass, or a runtime that could not be made.
    pub fn failed(&self) -> bool {
        self.setup_error.is_some() || self.results.iter().any(|r| r.verdict.fails_run())
    }

    /// Unsupported cases by the capability that gated each.
    pub fn unsupported(&self) -> BTreeMap<Capability, Vec<&CaseResult>> {
        let mut map: BTreeMap<Capability, Vec<&CaseResult>> = BTreeMap::new();
        for r in &self.results {
            if let Verdict::Unsupported(capability) = r.verdict {
                map.entry(capability).or_default().push(r);
            }
        }
        map
    }

    /// See [`Counted::failed_under`].
    pub fn failed_under(result: &CaseResult) -> Option<&str> {
        result.failed_under()
    }

    /// The per-clause table of this run: [`clause_rows`].
    pub fn clause_rows(&self) -> BTreeMap<String, ClauseRow> {
        clause_rows(&self.results)
    }

    /// Clause id -> the results of the cases that name it (coverage).
    pub fn by_clause(&self) -> BTreeMap<&str, Vec<&CaseResult>> {
        let mut map: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
        for r in &self.results {
            for c in &r.clauses {
                map.entry(c.as_str()).or_default().push(r);
            }
        }
        map
    }
}
