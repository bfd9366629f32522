//! What every run must satisfy, whatever the module: for robustness runs, where no exact
//! expectation exists.

use lifecycle_contract::{ErrorKind, HealthStatus, Outcome, State, Summary};

/// Checks `summary` against the invariants; the error says which one broke.
pub fn check(summary: &Summary) -> Result<(), String> {
    let mut state = State::Creating;
    for &(from, to) in &summary.transitions {
        if from != state || !from.can_become(to) {
            return Err(format!("transition {from} -> {to} from state {state}"));
        }
        state = to;
    }
    if state != summary.final_state || state != State::Terminated {
        return Err(format!(
            "ended in {} (transitions end in {state})",
            summary.final_state
        ));
    }
    if (summary.live_instances, summary.accounted_memory_bytes) != (0, 0) {
        return Err(format!(
            "{} live instances and {} bytes held after stop",
            summary.live_instances, summary.accounted_memory_bytes
        ));
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
        return Err("start's result disagrees with its transitions".into());
    }
    for outcome in outcomes {
        match outcome {
            Outcome::Message { reply: Err(e), .. }
                if !alive && e.kind() != ErrorKind::InvalidState =>
            {
                return Err(format!("a message to a dead component gave {}", e.kind()));
            }
            Outcome::Message { reply: Err(e), .. } if fatal(e.kind()) => alive = false,
            Outcome::Health(h) if !alive && h.status != HealthStatus::Unhealthy => {
                return Err(format!("a dead component reported {:?}", h.status));
            }
            Outcome::Stop(Err(e)) => return Err(format!("stop failed: {e}")),
            Outcome::Start(_) => return Err("start ran twice".into()),
            _ => {}
        }
    }
    Ok(())
}
