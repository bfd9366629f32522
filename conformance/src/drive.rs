//! The one driver of steps: the only place a [`Step`] becomes a call on a runtime under
//! test, and a sequence of steps becomes a [`Trace`].
//!
//! [`step`] performs one step on any [`SubjectComponent`] and returns its outcome with
//! the events it caused; the adapter server answers each request with it. [`run`]
//! drives a sequence of steps over components of one [`Subject`] and returns a trace per
//! component; the runner's cases use it, the runner judging each operation as it happens
//! through an [`Observer`]. [`script`] runs a [`Script`] (start, messages, an optional
//! health check, stop) on one new component: `lifecycle-kit trace`.
//!
//! Invariants:
//! * every operation's events are taken right after it, so each event belongs to the
//!   operation that caused it;
//! * the steps run step-major: each step on every component, in order, before the next
//!   step ([`crate::trace::NormalizedTrace::new`] relies on it);
//! * after each operation the subject is asked whether it can still be judged, and its
//!   counters are read; once the steps are done every component is let go
//!   ([`SubjectComponent::dispose`]) before the final counters are read, so they show
//!   what the runtime still holds with nothing alive;
//! * a subject that can no longer be judged ([`Subject::failure`]) ends the run with
//!   [`Unjudgeable`]: nothing it answered meanwhile is recorded.

use crate::subject::{Counters, Subject, SubjectComponent};
use crate::trace::{Op, Trace};
use lifecycle_contract::{Abi, Event, Limits, ModuleSource, Outcome, Profile, Script, State, Step};
use std::time::{Duration, Instant};

/// One step, performed: how it ended, and the events it caused, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub outcome: Outcome,
    pub events: Vec<Event>,
}

/// Performs `step` on `component`.
pub async fn step<C: SubjectComponent>(component: &mut C, step: &Step) -> StepRecord {
    let outcome = match step {
        Step::Start => Outcome::Start(component.start().await),
        Step::Send(message) => Outcome::Message {
            message: message.clone(),
            reply: component.handle_message(message).await,
        },
        Step::Health => Outcome::Health(component.health_check().await),
        Step::Stop(timeout) => Outcome::Stop(component.stop(*timeout).await),
    };
    StepRecord {
        outcome,
        events: component.take_events(),
    }
}

/// The runtime under test can no longer be judged: an out-of-process runtime stopped
/// answering or answered outside the protocol. The message says how.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unjudgeable(pub String);

/// Which operation of a run: step `step` (0-based, in the sequence) on component
/// `component` (0-based, in the order given to [`run`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    pub step: usize,
    pub component: usize,
}

/// What watches a run as [`run`] drives it, operation by operation. Every method does
/// nothing by default.
pub trait Observer {
    /// The operation `at` is about to begin.
    fn before(&mut self, _at: At, _step: &Step) {}
    /// The operation `at` has just ended, after `took`, with `outcome`; nothing else has
    /// been asked of the subject since.
    fn ran(&mut self, _at: At, _step: &Step, _outcome: &Outcome, _took: Duration) {}
    /// The operation `at` as the trace records it, counters included; `states` holds
    /// every component's state now.
    fn recorded(&mut self, _at: At, _op: &Op, _states: &[State]) {}
}

/// Watches nothing.
impl Observer for () {}

/// The subject's counters, unless it can no longer be judged.
pub async fn counters<S: Subject>(subject: &S) -> Result<Counters, Unjudgeable> {
    let counters = subject.counters().await;
    judgeable(subject)?;
    Ok(counters)
}

fn judgeable<S: Subject>(subject: &S) -> Result<(), Unjudgeable> {
    subject
        .failure()
        .map_or(Ok(()), |why| Err(Unjudgeable(why)))
}

/// Drives `steps` on `components` of `subject` (as the module docs say) and returns one
/// trace per component, in their order.
pub async fn run<S: Subject>(
    subject: &S,
    mut components: Vec<S::Component>,
    steps: &[Step],
    observer: &mut impl Observer,
) -> Result<Vec<Trace>, Unjudgeable> {
    let mut ops: Vec<Vec<Op>> = components.iter().map(|_| Vec::new()).collect();
    for (index, each) in steps.iter().enumerate() {
        for k in 0..components.len() {
            let at = At {
                step: index,
                component: k,
            };
            observer.before(at, each);
            let began = Instant::now();
            let StepRecord { outcome, events } = step(&mut components[k], each).await;
            observer.ran(at, each, &outcome, began.elapsed());
            judgeable(subject)?;
            let op = Op {
                outcome,
                events,
                held: counters(subject).await?.into(),
            };
            let states: Vec<State> = components.iter().map(|c| c.state()).collect();
            observer.recorded(at, &op, &states);
            ops[k].push(op);
        }
    }
    let final_states: Vec<State> = components.iter().map(|c| c.state()).collect();
    for component in components {
        component.dispose().await;
    }
    let end = counters(subject).await?;
    Ok(ops
        .into_iter()
        .zip(final_states)
        .map(|(ops, final_state)| Trace {
            ops,
            final_state,
            live_instances: end.live_instances,
            accounted_memory_bytes: end.accounted_memory_bytes,
        })
        .collect())
}

/// Runs `script` on a new component of `subject` for `module`: start, each message, an
/// optional health check, stop. Every message is sent even if start failed: those report
/// `invalid_state`. `Err` only when the subject can no longer be judged (an adapter that
/// left its protocol); a runtime in process always traces.
pub async fn script<S: Subject>(
    subject: &S,
    module: ModuleSource,
    abi: Abi,
    profile: Profile,
    limits: Limits,
    script: &Script,
) -> Result<Trace, Unjudgeable> {
    let component = subject.component(module, abi, profile, limits);
    let mut traces = run(subject, vec![component], &script.steps(), &mut ()).await?;
    Ok(traces.remove(0))
}
