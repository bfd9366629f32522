//! The report as one JSON object (`run --format json`): the totals, the unsupported
//! cases by capability, the coverage (clause to case ids), the per-clause rows, and each
//! case with its outcome, reason, first cause and consequences, and its evidence where
//! [`shows_evidence`] says.
//!
//! Invariant: the fields and their order are the format's; a field added is added at
//! the end of its object.

use super::{RunReport, shows_evidence};
use crate::runner::Verdict;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// See [`RunReport::json`].
pub(super) fn render(report: &RunReport) -> Value {
    let t = report.totals();
    let cases: Vec<Value> = report
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
            if shows_evidence(r) {
                case["expected"] = r.expected.clone().unwrap_or(Value::Null);
                case["actual"] = r.actual.clone().unwrap_or(Value::Null);
                case["trace"] = json!(r.trace);
            }
            case
        })
        .collect();
    let coverage: BTreeMap<&str, Vec<&str>> = report
        .by_clause()
        .into_iter()
        .map(|(c, rs)| (c, rs.iter().map(|r| r.id.as_str()).collect()))
        .collect();
    let unsupported_by: BTreeMap<String, usize> = report
        .unsupported()
        .into_iter()
        .map(|(c, rs)| (c.to_string(), rs.len()))
        .collect();
    json!({
        "runtime": report.runtime, "version": report.version, "error": report.setup_error,
        "total": t.total, "passed": t.passed, "failed": t.failed,
        "unsupported": t.unsupported, "xfail": t.xfail, "xpass": t.xpass,
        "unsupported_by_capability": unsupported_by,
        "coverage": coverage, "clauses": report.clause_rows(), "cases": cases,
    })
}
