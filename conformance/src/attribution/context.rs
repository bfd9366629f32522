//! Where a problem is, in words a person reads: the operation's place in the case
//! (`step 2 (message)`, with the component and the cycle when the case has several), and
//! the [`Context`] a judgement carries to say it.

use super::Place;
use lifecycle_contract::Step;

fn step_name(step: Option<&Step>) -> &'static str {
    match step {
        Some(Step::Start) => "start",
        Some(Step::Send(_)) => "message",
        Some(Step::Health) => "health",
        Some(Step::Stop(_)) => "stop",
        None => "operation",
    }
}

/// Where an operation is, for a person: `step 2 (message)`, with the component and the
/// cycle when the case has several.
pub fn describe(place: Place, steps: &[Step], components: usize, cycles: u32) -> String {
    let mut here = if place.step >= steps.len() {
        "after the steps, every component let go".to_string()
    } else {
        format!(
            "step {} ({})",
            place.step + 1,
            step_name(steps.get(place.step))
        )
    };
    if components > 1 && place.step < steps.len() {
        here += &format!(" of component {}", place.component + 1);
    }
    if cycles > 1 {
        here += &format!(" in cycle {}", place.cycle);
    }
    here
}

/// Where a case is, for the words of its problems.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub steps: &'a [Step],
    pub components: usize,
    pub cycles: u32,
    pub cycle: u32,
    pub component: usize,
}

impl Context<'_> {
    pub(super) fn place(&self, step: usize) -> Place {
        Place {
            cycle: self.cycle,
            step,
            component: self.component,
        }
    }

    pub(super) fn here(&self, step: usize) -> String {
        describe(self.place(step), self.steps, self.components, self.cycles)
    }
}
