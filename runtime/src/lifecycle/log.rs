//! A component's event log: what [`Component::events`](super::Component::events) shows.
//!
//! Invariants: the log holds the most recent events, oldest first, and never more than
//! `2 × RETAINED`: once it reaches that, the oldest `RETAINED` go. A component that lives
//! for millions of messages (two events each) so holds a bounded log instead of growing
//! by every message. Of the growth denials since the events were last taken, only the
//! first `RETAINED` are kept (the rest are counted as dropped): a guest that calls
//! `memory.grow` in a loop adds at most that many to one operation. So a caller that
//! takes the events after each operation, as the conformance driver does, never loses a
//! transition, a guest call, an error or a warning. (Before this rule, found by `fuzz`: a
//! wasm-smith `_start` denied growth hundreds of times, and the oldest events of its own
//! start, `creating -> starting` among them, were dropped.)

use lifecycle_contract::Event;

/// Events always kept, however many came since they were last taken.
pub const RETAINED: usize = 128;

#[derive(Debug, Default)]
pub(crate) struct EventLog {
    events: Vec<Event>,
    dropped: u64,
    /// Growth denials pushed since the events were last taken.
    denials: usize,
}

impl EventLog {
    pub(crate) fn push(&mut self, event: Event) {
        if matches!(event, Event::GrowthDenied { .. }) {
            if self.denials >= RETAINED {
                self.dropped += 1;
                return;
            }
            self.denials += 1;
        }
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
        self.denials = 0;
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
    fn growth_denials_never_push_out_the_operations_own_events() {
        use lifecycle_contract::error::Resource;
        let mut log = EventLog::default();
        log.push(nth(0));
        for current in 0..5 * RETAINED as u64 {
            log.push(Event::GrowthDenied {
                resource: Resource::Memory,
                current,
                desired: current + 1,
            });
        }
        log.push(nth(1));
        let taken = log.take();
        assert_eq!(taken.first(), Some(&nth(0)));
        assert_eq!(taken.last(), Some(&nth(1)));
        assert_eq!(taken.len(), RETAINED + 2);
        assert_eq!(log.dropped() as usize, 4 * RETAINED);
        // The next operation may report its own denials again.
        log.push(Event::GrowthDenied {
            resource: Resource::Memory,
            current: 0,
            desired: 1,
        });
        assert_eq!(log.take().len(), 1);
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
