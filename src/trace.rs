//! One module through the whole lifecycle: start, each message, an optional health
//! check, stop. Behind `lifecycle-kit trace`; its JSON is the shape expectations and
//! reports use.
//!
//! The steps are driven by the conformance crate's driver ([`lifecycle_conformance::drive`])
//! and recorded in its one trace shape ([`lifecycle_conformance::trace`]), the same the
//! runner and the adapter server use; this module only turns a [`Script`] into steps on
//! any runtime under test.

use crate::lifecycle::ComponentConfig;
use lifecycle_conformance::drive::{self, Unjudgeable};
pub use lifecycle_conformance::trace::{Held, Op, Trace, guest_calls, transitions};
use lifecycle_conformance::{ModuleSource, Subject};
pub use lifecycle_contract::outcome::{Operation, Outcome, Script, Summary, hex};

/// Runs `script` on a new component of `subject`. Every message is sent even if start
/// failed: those report `invalid_state`. `Err` only when the subject can no longer be
/// judged (an adapter that left its protocol); a runtime in process always traces.
pub async fn run<S: Subject>(
    subject: &S,
    module: ModuleSource,
    config: ComponentConfig,
    script: &Script,
) -> Result<Trace, Unjudgeable> {
    let component = subject.component(module, config.profile, config.limits);
    let traces = drive::run(subject, vec![component], &script.steps(), &mut ()).await?;
    Ok(traces
        .into_iter()
        .next()
        .expect("the driver returns a trace per component"))
}
