//! The report for a person: a table with a row per clause, then each case that fails
//! the run with its cause, consequences, diff and reproduce line, then the unsupported
//! cases by capability, then one summary line.
//!
//! Invariant: the table is [`RunReport::clause_rows`] as it is, and the summary line is
//! [`RunReport::totals`]: nothing is counted here.

use super::{RunReport, Totals};
use std::fmt::Write;

/// See [`RunReport::human`].
pub(super) fn render(report: &RunReport) -> String {
    let mut out = String::new();
    if let Some(why) = &report.setup_error {
        let _ = writeln!(out, "lifecycle conformance: no case ran\n{why}");
        return out;
    }
    let _ = writeln!(
        out,
        "lifecycle conformance: {} {}",
        report.runtime, report.version
    );
    let rows = report.clause_rows();
    let width = rows.keys().map(String::len).max().unwrap_or(0).max(16);
    let _ = writeln!(
        out,
        "{:<width$} {:>6} {:>6} {:>6} {:>12} {:>6}",
        "clause", "cases", "pass", "fail", "unsupported", "xfail"
    );
    for (clause, row) in rows {
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
            "{clause:<width$} {:>6} {:>6} {:>6} {:>12} {:>6}{notes}",
            row.cases, row.pass, row.fail, row.unsupported, row.xfail,
        );
    }
    for r in report.results.iter().filter(|r| r.verdict.fails_run()) {
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
    let unsupported = report.unsupported();
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
    let _ = writeln!(out, "\n{}", summary_line(&report.totals()));
    out
}

/// See [`RunReport::summary_line`].
pub(super) fn summary_line(t: &Totals) -> String {
    format!(
        "{} cases: {} passed, {} failed, {} unsupported, {} xfail, {} xpass",
        t.total, t.passed, t.failed, t.unsupported, t.xfail, t.xpass
    )
}
