//! Two runtimes compared on one wasm-smith module, whose outcome the oracle cannot
//! predict: where they first differ, filed under the clause the one table gives.
//!
//! Invariant: outcomes the contract leaves to each engine (fuel running out, timeouts,
//! stack overflow) end the comparison, so engines that count differently do not differ.

use super::Signature;
use crate::runner::CaseResult;
use lifecycle_contract::Summary;
use serde_json::Value;

/// Where a failure shows, and which, between two runtimes on one smith module; `None`
/// when they agree. Outcomes the contract leaves to each engine (fuel running out,
/// timeouts, stack overflow: each engine counts and sizes its own) end the comparison
/// at the first operation either shows one in.
pub(super) fn difference(
    mine: &CaseResult,
    theirs: &CaseResult,
    against: &str,
) -> Option<Signature> {
    let (Some(a), Some(b)) = (&mine.actual, &theirs.actual) else {
        return None;
    };
    let open = |op: &Value| {
        let text = op.to_string();
        ["fuel_exhausted", "execution_timeout", "stack_overflow"]
            .iter()
            .any(|w| text.contains(w))
    };
    let ops = |v: &Value| v["ops"].as_array().cloned().unwrap_or_default();
    let (oa, ob) = (ops(a), ops(b));
    let cut = oa.iter().zip(&ob).position(|(x, y)| open(x) || open(y));
    let field = match cut {
        Some(i) => crate::difference::first_difference(
            &Value::Array(ob[..i].to_vec()),
            &Value::Array(oa[..i].to_vec()),
        )
        .map(|f| format!("ops{f}")),
        None => crate::difference::first_difference(b, a),
    }?;
    // The clause of the first difference, theirs held right, by the one table.
    let cut_at = |v: &Value| {
        let mut v = v.clone();
        if let (Some(i), Some(ops)) = (cut, v["ops"].as_array_mut()) {
            ops.truncate(i);
        }
        Summary::from_json(&v).ok()
    };
    let clause = match (cut_at(b), cut_at(a)) {
        (Some(theirs), Some(mine)) => {
            let steps = crate::case::smith_steps();
            crate::attribution::first_cause(&theirs, &mine, &steps).and_then(|p| p.clause)
        }
        _ => None,
    };
    Some(Signature {
        clause: clause.unwrap_or_else(|| crate::attribution::UNATTRIBUTED.into()),
        field: format!("differs from {against}: {field}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Verdict;
    use serde_json::json;
    use std::time::Duration;

    fn ran(actual: Value) -> CaseResult {
        CaseResult {
            id: "smith".into(),
            abi: lifecycle_contract::Abi::Core,
            clauses: vec!["LC-STATE-2".into()],
            description: String::new(),
            verdict: Verdict::Pass,
            duration: Duration::ZERO,
            trace: None,
            expected: None,
            actual: Some(actual),
            repro: None,
        }
    }

    fn run_of(health: Value) -> Value {
        json!({
            "final_state": "terminated",
            "transitions": [["creating", "starting"], ["starting", "ready"], ["ready", "stopping"], ["stopping", "terminated"]],
            "ops": [
                {"op": "start", "ok": true, "calls": [{"export": "_start", "outcome": "returned"}]},
                health,
                {"op": "stop", "ok": true, "warnings": [], "calls": []},
            ],
            "live_instances": 0, "accounted_memory_bytes": 0,
        })
    }

    #[test]
    fn a_difference_between_two_runtimes_is_filed_under_the_clause_that_diverged() {
        let mine = ran(run_of(
            json!({"op": "health", "ok": true, "health": "healthy", "calls": []}),
        ));
        let theirs = ran(run_of(
            json!({"op": "health", "ok": true, "health": "degraded",
            "reason": "guest_reported", "calls": [{"export": "_health", "outcome": "returned"}]}),
        ));
        let s = difference(&mine, &theirs, "wasmi").expect("they differ");
        assert_eq!(s.clause, "LC-HEALTH-2");
        assert!(
            s.field.starts_with("differs from wasmi: ops[health]"),
            "{s}"
        );
        // An outcome each engine decides ends the comparison there.
        let spun = |outcome: &str| {
            ran(run_of(
                json!({"op": "health", "ok": true, "health": "unhealthy",
                "reason": outcome, "calls": [{"export": "_health", "outcome": outcome}]}),
            ))
        };
        assert_eq!(
            difference(&spun("fuel_exhausted"), &spun("execution_timeout"), "wasmi"),
            None
        );
    }
}
