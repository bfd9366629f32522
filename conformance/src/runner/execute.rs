//! One case on one subject: its steps driven on its components, cycle after cycle, each
//! operation judged as it happens ([`super::judge`]), each component's trace against its
//! expectation, then the checks over the whole case.
//!
//! Invariant: an [`Execution`] holds every problem found, each at its place; which came
//! first is for [`crate::attribution::Failure`] to say, not for the order found here.

use super::compilations::compilation_problem;
use super::judge::Judge;
use super::precision::{DelayProbe, precision_problem};
use super::{RunOptions, Watch};
use crate::attribution::{self, Aspect, Context, Place, Problem};
use crate::case::{Case, Expected, Timing};
use crate::drive::{self, Unjudgeable};
use crate::subject::Subject;
use crate::trace::{NormalizedTrace, Trace};
use lifecycle_contract::Summary;
use serde_json::Value;

/// One case on one subject, without the watchdog or verdict.
pub struct Execution {
    /// One summary per component, in the case's order.
    pub summaries: Vec<Summary>,
    pub trace: NormalizedTrace,
    /// Every way the case failed, each where it showed: divergences from the
    /// expectation, leaks, late or early timeouts, counters that do not count.
    pub problems: Vec<Problem>,
    /// What was not checked because the trace had already diverged.
    pub notes: Vec<String>,
}

/// How component `k`'s trace of one cycle (and its summary) differs from its
/// expectation, each problem at its place. Where several outcomes conform, the nearest:
/// the one the trace follows longest.
fn judged(case: &Case, k: usize, cycle: u32, trace: &Trace, summary: &Summary) -> Vec<Problem> {
    let module = &case.modules[k];
    let context = Context {
        steps: &case.steps,
        components: case.modules.len(),
        cycles: case.cycles,
        cycle,
        component: k,
    };
    let several = case.modules.len() > 1;
    let with_detail = |mut problems: Vec<Problem>, detail: String| {
        let detail = match several {
            true => format!("component {}:\n{detail}", k + 1),
            false => detail,
        };
        for p in &mut problems {
            p.detail = Some(detail.clone());
        }
        problems
    };
    match &module.expected {
        Expected::Invariants => match lifecycle_generators::invariants::check(summary) {
            Ok(()) => Vec::new(),
            Err(broken) => {
                let text = format!("{}: invariant broken: {}", broken.clause, broken.text);
                let place = Some(Place {
                    cycle,
                    step: case.steps.len(),
                    component: k,
                });
                let problem = Problem::said(place, Aspect::Case, text);
                with_detail(vec![problem], pretty(&summary.to_json()))
            }
        },
        expected => {
            let all = expected.candidates();
            if all.contains(summary) {
                return Vec::new();
            }
            // The nearest: the one the trace follows longest, then the one whose outcomes
            // it shows most often (a runtime that reports no guest calls still shows
            // which outcome it took), then the one it differs from in the fewest lines.
            let nearest = all
                .iter()
                .map(|want| {
                    let problems = attribution::divergences(want, trace, context);
                    (problems, diff(&want.to_json(), &summary.to_json()))
                })
                .max_by_key(|(problems, diff)| {
                    let first = problems.iter().map(|p| p.place).min().flatten();
                    let outcomes = problems
                        .iter()
                        .filter(|p| p.aspect == Aspect::Outcome)
                        .count();
                    let lines = diff.lines().count();
                    (first, std::cmp::Reverse(outcomes), std::cmp::Reverse(lines))
                });
            let Some((problems, diff)) = nearest else {
                return Vec::new();
            };
            let detail = match all.len() {
                1 => diff,
                n => format!(
                    "none of the {n} conforming outcomes (the engine's fuel cost or the machine's speed decides which); the nearest:\n{diff}"
                ),
            };
            with_detail(problems, detail)
        }
    }
}

/// Runs `case` on `subject`: its steps on its components (`cycles` times, fresh ones each
/// time), reporting each operation to `watch`. `Err` when the subject can no longer be
/// judged (see [`Subject::failure`]).
pub async fn execute<S: Subject>(
    subject: &S,
    case: &Case,
    options: &RunOptions,
    watch: &Watch,
) -> Result<Execution, Unjudgeable> {
    let compilations_before = drive::counters(subject).await?.compilations;
    let probe = (case.timing == Timing::Precise).then(DelayProbe::start);
    let mut judge = Judge::new(case, watch, options.timing_slack);
    let without_expectation = case
        .modules
        .iter()
        .any(|m| matches!(m.expected, Expected::Invariants));
    let mut first: Option<(Vec<Summary>, NormalizedTrace)> = None;
    for cycle in 1..=case.cycles {
        judge.begin_cycle(cycle);
        let components: Vec<S::Component> = case
            .modules
            .iter()
            .map(|m| subject.component(m.module.clone(), m.abi, m.profile, m.limits.clone()))
            .collect();
        let traces = drive::run(subject, components, &case.steps, &mut judge).await?;
        let after_steps = Some(Place {
            cycle,
            step: case.steps.len(),
            component: 0,
        });
        // Every trace ends with the same counters: the runtime's, with nothing alive.
        let end = traces.first();
        let (live, memory) = end.map_or((0, 0), |t| (t.live_instances, t.accounted_memory_bytes));
        if (live, memory) != (0, 0) {
            judge.problems.push(Problem::said(after_steps, Aspect::Counters, format!(
                "LC-TEARDOWN-1: after cycle {cycle}, every component dropped, {live} live instance(s) and {memory} byte(s) still accounted"
            )));
        }
        let summaries: Vec<Summary> = traces
            .iter()
            .map(|t| t.summary().without_detail())
            .collect();
        for (k, (trace, summary)) in traces.iter().zip(&summaries).enumerate() {
            judge
                .problems
                .extend(judged(case, k, cycle, trace, summary));
        }
        let trace = NormalizedTrace::new(&traces, case.cycles);
        match &first {
            None => first = Some((summaries, trace)),
            // Without an expectation to hold each cycle to, every cycle of fresh
            // components must repeat the first.
            Some((s, _)) if without_expectation && *s != summaries => {
                let shown: Vec<Value> = summaries.iter().map(Summary::to_json).collect();
                judge.problems.push(Problem::said(
                    after_steps,
                    Aspect::Case,
                    format!(
                        "LC-TEARDOWN-2: cycle {cycle} differs from cycle 1: {}",
                        Value::Array(shown)
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let (summaries, trace) = first.expect("at least one cycle");
    let mut problems = judge.problems;
    let case_wide = |text| Problem::said(None, Aspect::Case, text);
    if subject.capabilities().compilations {
        let after = drive::counters(subject).await?.compilations;
        problems.extend(
            compilation_problem(case, &summaries, judge.starts, compilations_before, after)
                .map(case_wide),
        );
    }
    if let Some(probe) = probe {
        let noise = probe.finish().await;
        problems.extend(
            precision_problem(&judge.timed_out, judge.fastest_other, noise, options).map(case_wide),
        );
    }
    Ok(Execution {
        summaries,
        trace,
        problems,
        notes: judge.notes,
    })
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// A unified diff from what was expected to what happened.
pub fn diff(expected: &Value, actual: &Value) -> String {
    similar::TextDiff::from_lines(pretty(expected).as_str(), pretty(actual).as_str())
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

pub(super) fn expected_json(expected: &Expected) -> Value {
    match expected {
        Expected::Exact(s) => s.to_json(),
        Expected::AnyOf(all) => {
            serde_json::json!({"any_of": all.iter().map(Summary::to_json).collect::<Vec<_>>()})
        }
        Expected::Invariants => Value::String("the invariants of every run".into()),
    }
}

/// One value for one component, an array for several.
pub(super) fn per_component(values: Vec<Value>) -> Value {
    match <[Value; 1]>::try_from(values) {
        Ok([one]) => one,
        Err(many) => Value::Array(many),
    }
}
