//! A component's event log: what [`Component::events`](super::Component::events) shows.
//!
//! Invariant: the log holds the most recent events, oldest first, and never more than
//! `2 × RETAINED`: once it reaches that, the oldest `RETAINED` go. A component that lives
//! for millions of messages (two events each) so holds a bounded log instead of growing
//! by every message; a caller that takes the events after each operation, as the
//! conformance driver does, never loses one.

use lifecycle_contract::Event;

/// Events always kept, however many came since they were last taken.
pub const RETAINED: usize = 128;

#[derive(Debug, Default)]
pub(crate) struct EventLog {
    events: Vec<Event>,
    dropped: u64,
}

impl EventLog {
    pub(crate) fn push(&mut self, event: Event) {
        if self.events.len() >= 2 * RETAINED {
            self.events.drain(..RETAINED);
            self.dropped += RETAINED as u64;
        }
        self.events.push(event);
    }

    pub(crate) fn extend(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.push(event);
        }
    }

    pub(crate) fn as_slice(&self) -> &[Event] {
        &self.events
    }

    pub(crate) fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Events dropped to keep the log bounded, since the component was made.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifecycle_contract::State;

    fn nth(n: usize) -> Event {
        let to = [State::Starting, State::Ready][n % 2];
        Event::Transition {
            from: State::Creating,
            to,
        }
    }

    #[test]
    fn keeps_the_most_recent_events_bounded() {
        let mut log = EventLog::default();
        let total = 5 * RETAINED + 3;
        for n in 0..total {
            log.push(nth(n));
        }
        let kept = log.as_slice().len();
        assert!((RETAINED..=2 * RETAINED).contains(&kept), "{kept}");
        assert_eq!(log.dropped() as usize + kept, total);
        assert_eq!(log.as_slice().last(), Some(&nth(total - 1)));
        assert_eq!(log.take().len(), kept);
        assert!(log.as_slice().is_empty());
    }

    #[test]
    fn a_log_taken_after_each_operation_loses_nothing() {
        let mut log = EventLog::default();
        for n in 0..3 * RETAINED {
            log.push(nth(n));
            assert_eq!(log.take(), [nth(n)]);
        }
        assert_eq!(log.dropped(), 0);
    }
}
