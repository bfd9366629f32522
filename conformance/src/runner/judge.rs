//! The runner's judgement of each operation as the driver performs it ([`Judge`], an
//! [`Observer`]): the watch over it, its timing if it timed out (LC-LIMIT-4), the state
//! the runtime says against the transitions it reported (LC-REPORT-1), and what the
//! counters showed right after it (LC-TEARDOWN-1/3).
//!
//! Invariant: the counters are found wrong at most once per cycle, and a component's
//! memory is held to what its expectation grows it to only while its trace follows that
//! expectation (else to what its module declares, with a note saying so).

use super::Watch;
use crate::attribution::{self, Aspect, Place, Problem};
use crate::case::Case;
use crate::drive::{At, Observer};
use crate::subject::ModuleSource;
use crate::trace::{self, Held, Op};
use lifecycle_contract::{HealthReason, Limits, Operation, Outcome, State, Step, Warning};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// The wall-clock limit an outcome shows was hit, if any.
fn timeout_hit(outcome: &Outcome, step: &Step, limits: &Limits) -> Option<Duration> {
    let timed_out =
        |e: &lifecycle_contract::Error| e.kind() == lifecycle_contract::ErrorKind::ExecutionTimeout;
    match (outcome, step) {
        (Outcome::Start(Err(e)), _) if timed_out(e) => Some(limits.start_timeout),
        (Outcome::Message { reply: Err(e), .. }, _) if timed_out(e) => Some(limits.call_timeout),
        (Outcome::Health(h), _) if h.reason == Some(HealthReason::ExecutionTimeout) => {
            Some(limits.health_timeout)
        }
        (Outcome::Stop(Ok(w)), Step::Stop(limit)) if w.contains(&Warning::CleanupTimeout) => {
            Some(*limit)
        }
        _ => None,
    }
}

/// The linear memory a module declares, in bytes, read from its bytes: its first defined
/// memory's initial size, and its maximum if it states one.
#[derive(Clone, Copy, Default)]
struct DeclaredMemory {
    initial: u64,
    maximum: Option<u64>,
}

/// What `module` declares; nothing when it has no memory or cannot be read.
fn declared_memory(module: &ModuleSource) -> DeclaredMemory {
    let bytes: Arc<[u8]> = match module {
        ModuleSource::Bytes(b) => b.clone(),
        ModuleSource::File(path) => match std::fs::read(path) {
            Ok(b) => b.into(),
            Err(_) => return DeclaredMemory::default(),
        },
    };
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let Ok(wasmparser::Payload::MemorySection(section)) = payload {
            let Some(memory) = section.into_iter().flatten().next() else {
                break;
            };
            // Unvalidated bytes: a page size past 2^63 saturates rather than overflows.
            let page = 1u64
                .checked_shl(memory.page_size_log2.unwrap_or(16))
                .unwrap_or(u64::MAX);
            return DeclaredMemory {
                initial: memory.initial.saturating_mul(page),
                maximum: memory.maximum.map(|m| m.saturating_mul(page)),
            };
        }
    }
    DeclaredMemory::default()
}

/// A ready component, as the counters must show it: the linear memory it has at least
/// (its current size where the oracle knows it, else what its module declares), and at
/// most (its memory limit, or its memory's declared maximum if smaller: no memory grows
/// past either).
struct Ready {
    declared: u64,
    limit: u64,
}

/// What the counters must show, given which components are `ready` now, and how they
/// fall short (LC-TEARDOWN-1, LC-TEARDOWN-3): nothing when none is ready; else at least an
/// instance each, and memory between what they declare and what their limits allow.
fn held_problem(ready: &[Ready], held: Held, after: &str) -> Option<String> {
    let (live, memory) = (held.live_instances, held.accounted_memory_bytes);
    if ready.is_empty() {
        return ((live, memory) != (0, 0)).then(|| {
            format!(
                "LC-TEARDOWN-1: after {after}, with no component ready, the runtime still holds {live} live instance(s) and {memory} byte(s) of memory"
            )
        });
    }
    let declared: u64 = ready.iter().map(|r| r.declared).sum();
    let most: u64 = ready.iter().map(|r| r.limit).fold(0, u64::saturating_add);
    if live < ready.len() {
        return Some(format!(
            "LC-TEARDOWN-3: after {after}, {} component(s) are ready but the runtime reports {live} live instance(s)",
            ready.len()
        ));
    }
    if memory < declared {
        return Some(format!(
            "LC-TEARDOWN-3: after {after}, the ready component(s) have at least {declared} byte(s) of linear memory but the runtime accounts {memory}"
        ));
    }
    (memory > most).then(|| {
        format!(
            "LC-TEARDOWN-3: after {after}, the runtime accounts {memory} byte(s) of linear memory, more than the ready component(s) may hold ({most}, their limits or their memories' maximums)"
        )
    })
}

/// A timeout's duration against its limit, for the precision judgement.
pub(super) struct TimedOut {
    pub(super) took: Duration,
    pub(super) limit: Duration,
}

/// The runner's judgement of each operation as the driver performs it: the watch over
/// it, its timing if it timed out (LC-LIMIT-4), and what the counters showed right after
/// it (LC-TEARDOWN-1/3).
pub(super) struct Judge<'a> {
    case: &'a Case,
    watch: &'a Watch,
    slack: Duration,
    declared: Vec<DeclaredMemory>,
    cycle: u32,
    /// The counters were found wrong in this cycle already (one problem per cycle).
    counters_wrong: bool,
    /// Each component's operations so far in this cycle, as the expectation compares them.
    so_far: Vec<Vec<Operation>>,
    /// Each component's state as the transitions it reported so far in this cycle leave
    /// it, and whether the state the runtime says disagreed with it already.
    chain: Vec<(State, bool)>,
    /// Start operations performed, over every component and cycle.
    pub(super) starts: usize,
    pub(super) problems: Vec<Problem>,
    pub(super) notes: Vec<String>,
    /// The components a note was written for (one note each).
    noted: BTreeSet<usize>,
    pub(super) timed_out: Vec<TimedOut>,
    /// The fastest operation that did not time out: the runtime's own cost of one.
    pub(super) fastest_other: Duration,
}

impl<'a> Judge<'a> {
    /// The judge of `case`, reporting each operation to `watch`; a timeout may fire up
    /// to `slack` after its limit.
    pub(super) fn new(case: &'a Case, watch: &'a Watch, slack: Duration) -> Judge<'a> {
        Judge {
            case,
            watch,
            slack,
            declared: case
                .modules
                .iter()
                .map(|m| declared_memory(&m.module))
                .collect(),
            cycle: 0,
            counters_wrong: false,
            so_far: Vec::new(),
            chain: Vec::new(),
            starts: 0,
            problems: Vec::new(),
            notes: Vec::new(),
            noted: BTreeSet::new(),
            timed_out: Vec::new(),
            fastest_other: Duration::MAX,
        }
    }

    fn place(&self, at: At) -> Place {
        Place {
            cycle: self.cycle,
            step: at.step,
            component: at.component,
        }
    }

    /// Which operation (1-based) of which component and cycle, for messages.
    fn where_(&self, at: At) -> String {
        attribution::describe(
            self.place(at),
            &self.case.steps,
            self.case.modules.len(),
            self.case.cycles,
        )
    }

    /// Whether component `j`'s operations so far are the start of a run its expectation
    /// allows: while they are, what the guest did is what the expectation says it did.
    fn on_track(&self, j: usize) -> bool {
        let ops = &self.so_far[j];
        self.case.modules[j]
            .expected
            .candidates()
            .iter()
            .any(|s| s.ops.len() >= ops.len() && s.ops[..ops.len()] == ops[..])
    }

    pub(super) fn begin_cycle(&mut self, cycle: u32) {
        self.cycle = cycle;
        self.counters_wrong = false;
        self.so_far = vec![Vec::new(); self.case.modules.len()];
        self.chain = vec![(State::Creating, false); self.case.modules.len()];
    }
}

impl Observer for Judge<'_> {
    fn before(&mut self, at: At, step: &Step) {
        self.watch
            .begin(step, &self.case.modules[at.component].limits);
    }

    fn ran(&mut self, at: At, step: &Step, outcome: &Outcome, took: Duration) {
        self.watch.end();
        if *step == Step::Start {
            self.starts += 1;
        }
        let slack = self.slack;
        match timeout_hit(outcome, step, &self.case.modules[at.component].limits) {
            Some(limit) => {
                let here = self.where_(at);
                let problem = if took < limit {
                    Some(format!(
                        "LC-LIMIT-4: {here} reported a timeout after {took:?}, before its {limit:?} limit"
                    ))
                } else if took > limit + slack {
                    Some(format!(
                        "LC-LIMIT-4: {here} timed out after {took:?}: later than its {limit:?} limit plus {slack:?}"
                    ))
                } else {
                    None
                };
                let place = Some(self.place(at));
                self.problems
                    .extend(problem.map(|text| Problem::said(place, Aspect::Timing, text)));
                self.timed_out.push(TimedOut { took, limit });
            }
            None => self.fastest_other = self.fastest_other.min(took),
        }
    }

    fn recorded(&mut self, at: At, op: &Op, states: &[State]) {
        self.so_far[at.component].push(Operation::new(
            op.outcome.without_detail(),
            trace::guest_calls(&op.events),
        ));
        // The state the runtime says must be where its transitions lead (LC-REPORT-1):
        // the counters are judged by the state it says.
        let (chain, told) = &mut self.chain[at.component];
        if let Some((_, to)) = trace::transitions(&op.events).last() {
            *chain = *to;
        }
        let (reported, led) = (states[at.component], *chain);
        if reported != led && !*told {
            *told = true;
            let place = Some(self.place(at));
            let text = format!(
                "LC-REPORT-1: after {}, the runtime says the component is `{reported}` but the transitions it reported leave it `{led}`",
                self.where_(at)
            );
            self.problems
                .push(Problem::said(place, Aspect::State, text));
        }
        if self.counters_wrong {
            return;
        }
        // Each component's last step so far: this one for those up to this component.
        let done = |j: usize| {
            if j <= at.component {
                Some(at.step)
            } else {
                at.step.checked_sub(1)
            }
        };
        let here = self.where_(at);
        let mut ready = Vec::new();
        for (j, _) in states
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == State::Ready)
        {
            let m = &self.case.modules[j];
            let DeclaredMemory { initial, maximum } = self.declared[j];
            // The memory the guest grew to, where the expectation knows it: only while
            // the trace shows the guest doing what the expectation says it did.
            let grown = m
                .memory_after
                .as_ref()
                .zip(done(j))
                .and_then(|(memory, i)| memory.get(i).copied())
                .filter(|grown| *grown > initial);
            let least = match grown {
                Some(grown) if self.on_track(j) => grown,
                Some(grown) => {
                    if self.noted.insert(j) {
                        self.notes.push(format!(
                        "after {here}, the trace had left the expectation, so LC-TEARDOWN-3 held component {}'s memory to the {initial} byte(s) its module declares, not to the {grown} its expected guest calls grow it to",
                        j + 1
                    ));
                    }
                    initial
                }
                None => initial,
            };
            ready.push(Ready {
                declared: least,
                limit: maximum.map_or(m.limits.max_memory_bytes, |max| {
                    max.min(m.limits.max_memory_bytes)
                }),
            });
        }
        if let Some(problem) = held_problem(&ready, op.held, &here) {
            let place = Some(self.place(at));
            self.problems
                .push(Problem::said(place, Aspect::Counters, problem));
            self.counters_wrong = true;
        }
    }
}
