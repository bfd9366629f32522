//! The report as JUnit XML (`run --junit FILE`): one suite named for the runtime, a test
//! case per conformance case, classed by its first clause; a runtime that could not be
//! made is one `setup` case in error.
//!
//! Invariant: a case that fails the run ([`crate::Verdict::fails_run`]) is a failure, an
//! unsupported one is skipped, and every other one a success.

use super::RunReport;
use crate::runner::Verdict;

/// See [`RunReport::junit`].
pub(super) fn render(report: &RunReport) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut junit = Report::new("lifecycle-conformance");
    let mut suite = TestSuite::new(format!("{} {}", report.runtime, report.version));
    if let Some(why) = &report.setup_error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(why.clone());
        suite.add_test_case(TestCase::new("setup", status));
    }
    for r in &report.results {
        let status = match &r.verdict {
            v if v.fails_run() => {
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
            Verdict::Unsupported(_) => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(r.verdict.reason().unwrap_or_default());
                s
            }
            _ => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(r.id.clone(), status);
        case.set_classname(r.clauses.first().cloned().unwrap_or_default());
        case.set_time(r.duration);
        suite.add_test_case(case);
    }
    junit.add_test_suite(suite);
    junit.to_string().expect("JUnit serializes")
}
