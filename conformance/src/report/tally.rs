//! What a report counts, counted once: the totals, the per-clause table, the cases
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub unsupported: usize,
    pub xfail: usize,
    pub xpass: usize,
}

impl RunReport {
    pub fn totals(&self) -> Totals {
        let mut t = Totals {
            total: self.results.len(),
            ..Totals::default()
        };
        for r in &self.results {
            match r.verdict {
                Verdict::Pass => t.passed += 1,
                Verdict::Fail(_) => t.failed += 1,
                Verdict::Unsupported(_) => t.unsupported += 1,
                Verdict::Xfail(_) => t.xfail += 1,
                Verdict::Xpass(_) => t.xpass += 1,
            }
        }
        t
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

    /// The clause a result that fails the run counts under, once: a failure's first
    /// cause ([`crate::attribution`]); an xpass's first clause (its expectation is stale).
    pub fn failed_under(result: &CaseResult) -> Option<&str> {
        match &result.verdict {
            Verdict::Fail(failure) => Some(failure.clause()),
            Verdict::Xpass(_) => result.clauses.first().map(String::as_str),
            _ => None,
        }
    }

    /// The per-clause table: a row per clause any case names or any failure's first
    /// cause breaks, and per ABI: a clause's row of component cases is `CLAUSE@component`
    /// (the suffix of the cases' component forms). Each case counts once in a row: a failing case under its first
    /// cause only (with the consequences folded into it); in the rows of the other
    /// clauses it names it is `elsewhere`, outside that row's cases. So in every row
    /// `cases = pass + fail + unsupported + xfail` (an xpass counts as a fail).
    pub fn clause_rows(&self) -> BTreeMap<String, ClauseRow> {
        let mut rows: BTreeMap<String, ClauseRow> = BTreeMap::new();
        for r in &self.results {
            let key = |clause: &str| match r.abi {
                Abi::Core => clause.to_string(),
                Abi::Component => format!("{clause}{COMPONENT_FORM}"),
            };
            let failed_under = Self::failed_under(r);
            if let Some(clause) = failed_under {
                let row = rows.entry(key(clause)).or_default();
                row.cases += 1;
                row.fail += 1;
                if let Verdict::Fail(failure) = &r.verdict {
                    row.consequences += failure.consequences.len();
                }
            }
            for clause in r.clauses.iter().map(String::as_str) {
                if Some(clause) == failed_under {
                    continue;
                }
                let row = rows.entry(key(clause)).or_default();
                match &r.verdict {
                    Verdict::Pass => row.pass += 1,
                    Verdict::Unsupported(_) => row.unsupported += 1,
                    Verdict::Xfail(_) => row.xfail += 1,
                    Verdict::Fail(_) | Verdict::Xpass(_) => {
                        row.elsewhere += 1;
                        continue;
                    }
                }
                row.cases += 1;
            }
        }
        rows
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
