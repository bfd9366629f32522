//! Component states and the one transition table (SPEC LC-STATE-1, LC-STATE-2).
//!
//! Every state change of every component goes through [`State::can_become`]; nothing
//! else in the crate decides whether a transition is legal.

identifiers! {
    /// The lifecycle state of a component.
    State ("state") {
        Creating => "creating",
        Starting => "starting",
        Ready => "ready",
        Stopping => "stopping",
        Terminated => "terminated",
        Failed => "failed",
    }
}

/// Every legal transition. Anything not listed here is a bug in the runtime.
const TRANSITIONS: &[(State, State)] = &[
    (State::Creating, State::Starting),
    (State::Starting, State::Ready),
    (State::Starting, State::Failed),
    (State::Ready, State::Failed),
    (State::Creating, State::Stopping),
    (State::Ready, State::Stopping),
    (State::Failed, State::Stopping),
    (State::Stopping, State::Terminated),
];

impl State {
    /// Whether the contract allows moving from `self` to `to`.
    pub fn can_become(self, to: State) -> bool {
        TRANSITIONS.contains(&(self, to))
    }
}

#[cfg(test)]
mod tests {
    use super::State::{self, *};

    #[test]
    fn the_table_is_exactly_the_contract() {
        let allowed: Vec<(State, State)> = State::ALL
            .iter()
            .flat_map(|&from| State::ALL.iter().map(move |&to| (from, to)))
            .filter(|&(from, to)| from.can_become(to))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Creating, Starting),
                (Creating, Stopping),
                (Starting, Ready),
                (Starting, Failed),
                (Ready, Stopping),
                (Ready, Failed),
                (Stopping, Terminated),
                (Failed, Stopping),
            ]
        );
    }

    #[test]
    fn terminal_state_has_no_exit_and_nothing_returns_to_creating() {
        for to in State::ALL {
            assert!(!Terminated.can_become(to), "terminated -> {to}");
            assert!(!to.can_become(Creating), "{to} -> creating");
            assert!(!to.can_become(to), "{to} -> itself");
        }
    }

    #[test]
    fn identifiers_are_stable() {
        let names: Vec<_> = State::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "creating",
                "starting",
                "ready",
                "stopping",
                "terminated",
                "failed"
            ]
        );
        for s in State::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
