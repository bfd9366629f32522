//! What a case comes to: its [`Verdict`], and the [`CaseResult`] a report is made of.
//!
//! Invariant: [`Verdict::fails_run`] is the one rule of which verdicts fail a run; the
//! reports and the run's exit status all ask it.

use crate::attribution::Failure;
use crate::subject::Capability;
use crate::trace::NormalizedTrace;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "why", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// Failed: its first cause, and what followed from it.
    Fail(Failure),
    /// Not run: the runtime does not declare this capability, which the case needs.
    Unsupported(Capability),
    /// Failed as the expectations file says it would.
    Xfail(String),
    /// Passed although the expectations file says it fails.
    Xpass(String),
}

impl Verdict {
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail(_) => "fail",
            Verdict::Unsupported(_) => "unsupported",
            Verdict::Xfail(_) => "xfail",
            Verdict::Xpass(_) => "xpass",
        }
    }

    /// fail and xpass fail the run.
    pub fn fails_run(&self) -> bool {
        matches!(self, Verdict::Fail(_) | Verdict::Xpass(_))
    }

    /// Why, in words: what failed, what gated the case, or the expectation's reason.
    pub fn reason(&self) -> Option<String> {
        match self {
            Verdict::Pass => None,
            Verdict::Fail(failure) => Some(failure.to_string()),
            Verdict::Xfail(why) | Verdict::Xpass(why) => Some(why.clone()),
            Verdict::Unsupported(capability) => Some(format!(
                "needs capability `{capability}`, which the runtime does not declare"
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct CaseResult {
    pub id: String,
    /// The interface the case ran through.
    pub abi: lifecycle_contract::Abi,
    pub clauses: Vec<String>,
    pub description: String,
    pub verdict: Verdict,
    pub duration: Duration,
    pub trace: Option<NormalizedTrace>,
    /// What the case must show and what it showed (a summary, or one per component), for
    /// cases that ran to the end.
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    /// A command that runs this case alone, the same way.
    pub repro: Option<String>,
}
