//! What every run must satisfy, whatever the module: for robustness runs, where no exact
//! expectation exists.

use lifecycle_contract::{ErrorKind, HealthStatus, Outcome, State, Summary};

/// An invariant a run broke: the SPEC clause it belongs to, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub clause: &'static str,
    pub text: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.clause, self.text)
    }
}

fn broken(clause: &'static str, text: impl Into<String>) -> Result<(), Broken> {
    Err(Broken {
        clause,
        text: text.into(),
    })
}

/// Checks `summary` against the invariants; the error says which one broke.
pub fn check(summary: &Summary) -> Result<(), Broken> {
    let mut state = State::Creating;
    for &(from, to) in &summary.transitions {
        if from != state || !from.can_become(to) {
            return broken(
                "LC-STATE-2",
                format!("transition {from} -> {to} from state {state}"),
            );
        }
        state = to;
    }
    if state != summary.final_state || state != State::Terminated {
        return broken(
            "LC-STOP-1",
            format!(
                "ended in {} (transitions end in {state})",
                summary.final_state
            ),
        );
    }
    if (summary.live_instances, summary.accounted_memory_bytes) != (0, 0) {
        return broken(
            "LC-TEARDOWN-1",
            format!(
                "{} live instances and {} bytes held after stop",
                summary.live_instances, summary.accounted_memory_bytes
            ),
        );
    }
    let fatal = |kind| {
        matches!(
            kind,
            ErrorKind::Trapped | ErrorKind::FuelExhausted | ErrorKind::ExecutionTimeout
        )
    };
    let mut outcomes = summary.outcomes();
    let mut alive = matches!(outcomes.next(), Some(Outcome::Start(Ok(()))));
    if alive != (summary.transitions.get(1) == Some(&(State::Starting, State::Ready))) {
        return broken(
            "LC-REPORT-1",
            "start's result disagrees with its transitions",
        );
    }
    for outcome in outcomes {
        match outcome {
            Outcome::Message { reply: Err(e), .. }
                if !alive && e.kind() != ErrorKind::InvalidState =>
            {
                return broken(
                    "LC-STATE-7",
                    format!("a message to a dead component gave {}", e.kind()),
                );
            }
            Outcome::Message { reply: Err(e), .. } if fatal(e.kind()) => alive = false,
            Outcome::Health(h) if !alive && h.status != HealthStatus::Unhealthy => {
                return broken(
                    "LC-HEALTH-4",
                    format!("a dead component reported {:?}", h.status),
                );
            }
            Outcome::Stop(Err(e)) => return broken("LC-STOP-1", format!("stop failed: {e}")),
            Outcome::Start(_) => return broken("LC-STATE-3", "start ran twice"),
            _ => {}
        }
    }
    Ok(())
}
