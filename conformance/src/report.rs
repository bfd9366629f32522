//! Reports of a run: for people (grouped by clause), JSON, and JUnit XML.

use crate::runner::{CaseResult, Verdict};
use crate::subject::Capability;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Clone, Debug)]
pub struct RunReport {
    pub runtime: String,
    pub version: String,
    pub results: Vec<CaseResult>,
    /// Why nothing ran: the runtime under test could not be made.
    pub setup_error: Option<String>,
}

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

    /// The one summary line: every verdict counted once.
    pub fn summary_line(&self) -> String {
        let t = self.totals();
        format!(
            "{} cases: {} passed, {} failed, {} unsupported, {} xfail, {} xpass",
            t.total, t.passed, t.failed, t.unsupported, t.xfail, t.xpass
        )
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
    /// cause breaks. Each case counts once in a row: a failing case under its first
    /// cause only (with the consequences folded into it); in the rows of the other
    /// clauses it names it is `elsewhere`, outside that row's cases. So in every row
    /// `cases = pass + fail + unsupported + xfail` (an xpass counts as a fail).
    pub fn clause_rows(&self) -> BTreeMap<&str, ClauseRow> {
        let mut rows: BTreeMap<&str, ClauseRow> = BTreeMap::new();
        for r in &self.results {
            let failed_under = Self::failed_under(r);
            if let Some(clause) = failed_under {
                let row = rows.entry(clause).or_default();
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
                let row = rows.entry(clause).or_default();
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

    /// For a person: a line per clause, the failing cases with their diffs, totals.
    pub fn human(&self) -> String {
        let mut out = String::new();
        if let Some(why) = &self.setup_error {
            let _ = writeln!(out, "lifecycle conformance: no case ran\n{why}");
            return out;
        }
        let _ = writeln!(
            out,
            "lifecycle conformance: {} {}",
            self.runtime, self.version
        );
        let _ = writeln!(
            out,
            "{:<16} {:>6} {:>6} {:>6} {:>12} {:>6}",
            "clause", "cases", "pass", "fail", "unsupported", "xfail"
        );
        for (clause, row) in self.clause_rows() {
            let mut notes = Vec::new();
            if row.fail > 0 {
                notes.push(match row.consequences {
                    0 => "<-- FAIL".to_string(),
                    n => format!("<-- FAIL (first cause; {n} consequence(s) folded in)"),
                });
            }
            if row.elsewhere > 0 {
                notes.push(format!(
                    "({} more failed first under another clause)",
                    row.elsewhere
                ));
            }
            let notes = match notes.is_empty() {
                true => String::new(),
                false => format!("  {}", notes.join(" ")),
            };
            let _ = writeln!(
                out,
                "{clause:<16} {:>6} {:>6} {:>6} {:>12} {:>6}{notes}",
                row.cases, row.pass, row.fail, row.unsupported, row.xfail,
            );
        }
        for r in self.results.iter().filter(|r| r.verdict.fails_run()) {
            let _ = writeln!(
                out,
                "\n{} {} ({}): {}",
                r.verdict.name().to_uppercase(),
                r.id,
                r.clauses.join(", "),
                r.description
            );
            for line in r.verdict.reason().unwrap_or_default().lines() {
                let _ = writeln!(out, "    {line}");
            }
            if let Some(repro) = &r.repro {
                let _ = writeln!(out, "    reproduce: {repro}");
            }
        }
        let unsupported = self.unsupported();
        if !unsupported.is_empty() {
            let _ = writeln!(
                out,
                "\nunsupported (the runtime does not declare what they need; `--require` makes them fail):"
            );
            for (capability, results) in &unsupported {
                let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
                let _ = writeln!(
                    out,
                    "    {capability}: {} case(s): {}",
                    ids.len(),
                    ids.join(", ")
                );
            }
        }
        let _ = writeln!(out, "\n{}", self.summary_line());
        out
    }

    pub fn json(&self) -> Value {
        let t = self.totals();
        let cases: Vec<Value> = self
            .results
            .iter()
            .map(|r| {
                let mut case = json!({
                    "id": r.id, "clauses": r.clauses, "outcome": r.verdict.name(),
                    "duration_ms": r.duration.as_millis() as u64,
                    "reason": r.verdict.reason(), "repro": r.repro,
                });
                if let Verdict::Unsupported(capability) = r.verdict {
                    case["needs"] = json!(capability);
                }
                if let Verdict::Fail(failure) = &r.verdict {
                    case["first_cause"] = json!({
                        "clause": failure.clause(),
                        "text": failure.cause.text,
                    });
                    case["consequences"] = json!(
                        failure
                            .consequences
                            .iter()
                            .map(|p| &p.text)
                            .collect::<Vec<_>>()
                    );
                }
                if r.verdict.fails_run() || matches!(r.verdict, Verdict::Xfail(_)) {
                    case["expected"] = r.expected.clone().unwrap_or(Value::Null);
                    case["actual"] = r.actual.clone().unwrap_or(Value::Null);
                    case["trace"] = json!(r.trace);
                }
                case
            })
            .collect();
        let coverage: BTreeMap<&str, Vec<&str>> = self
            .by_clause()
            .into_iter()
            .map(|(c, rs)| (c, rs.iter().map(|r| r.id.as_str()).collect()))
            .collect();
        let unsupported_by: BTreeMap<String, usize> = self
            .unsupported()
            .into_iter()
            .map(|(c, rs)| (c.to_string(), rs.len()))
            .collect();
        json!({
            "runtime": self.runtime, "version": self.version, "error": self.setup_error,
            "total": t.total, "passed": t.passed, "failed": t.failed,
            "unsupported": t.unsupported, "xfail": t.xfail, "xpass": t.xpass,
            "unsupported_by_capability": unsupported_by,
            "coverage": coverage, "clauses": self.clause_rows(), "cases": cases,
        })
    }

    /// JUnit XML: one suite, a test case per conformance case, classed by first clause.
    pub fn junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
        let mut report = Report::new("lifecycle-conformance");
        let mut suite = TestSuite::new(format!("{} {}", self.runtime, self.version));
        if let Some(why) = &self.setup_error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(why.clone());
            suite.add_test_case(TestCase::new("setup", status));
        }
        for r in &self.results {
            let status = match &r.verdict {
                Verdict::Pass | Verdict::Xfail(_) => TestCaseStatus::success(),
                Verdict::Unsupported(_) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(r.verdict.reason().unwrap_or_default());
                    s
                }
                Verdict::Fail(_) | Verdict::Xpass(_) => {
                    let why = r.verdict.reason().unwrap_or_default();
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(format!(
                        "{}: {}",
                        r.verdict.name(),
                        why.lines().next().unwrap_or_default()
                    ));
                    let repro = r.repro.as_deref().map(|c| format!("\nreproduce: {c}"));
                    s.set_description(format!("{why}{}", repro.unwrap_or_default()));
                    s
                }
            };
            let mut case = TestCase::new(r.id.clone(), status);
            case.set_classname(r.clauses.first().cloned().unwrap_or_default());
            case.set_time(r.duration);
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
        report.to_string().expect("JUnit serializes")
    }
}
