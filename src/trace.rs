//! One module through the whole lifecycle: start, each message, an optional health
//! check, stop. Behind `lifecycle-kit trace`; its JSON is the shape expectations and
//! reports use.

use crate::component::ComponentConfig;
use crate::error::{Error, Warning};
use crate::events::Event;
use crate::health::Health;
use crate::runtime::Runtime;
use crate::source::ModuleSource;
use crate::state::State;
use serde_json::{Value, json};
use std::fmt::Write;
use std::time::Duration;

/// What to do after start.
#[derive(Clone, Debug)]
pub struct Script {
    pub messages: Vec<Vec<u8>>,
    pub health: bool,
    pub stop_timeout: Duration,
}

/// One operation and how it ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    Start(Result<(), Error>),
    Message {
        message: Vec<u8>,
        reply: Result<Vec<u8>, Error>,
    },
    Health(Health),
    Stop(Result<Vec<Warning>, Error>),
}

/// An operation with the events it caused.
#[derive(Clone, Debug)]
pub struct Op {
    pub outcome: Outcome,
    pub events: Vec<Event>,
}

#[derive(Clone, Debug)]
pub struct Trace {
    pub ops: Vec<Op>,
    pub final_state: State,
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
}

/// Runs `script` on a new component of `runtime`. Every message is sent even if start
/// failed: those report `invalid_state`.
pub async fn run(
    runtime: &Runtime,
    source: ModuleSource,
    config: ComponentConfig,
    script: &Script,
) -> Trace {
    let mut component = runtime.component(source, config);
    let mut ops = Vec::new();
    let outcome = Outcome::Start(component.start().await);
    ops.push(Op {
        outcome,
        events: component.take_events(),
    });
    for message in &script.messages {
        let reply = component.handle_message(message).await;
        ops.push(Op {
            outcome: Outcome::Message {
                message: message.clone(),
                reply,
            },
            events: component.take_events(),
        });
    }
    if script.health {
        let outcome = Outcome::Health(component.health_check().await);
        ops.push(Op {
            outcome,
            events: component.take_events(),
        });
    }
    let outcome = Outcome::Stop(component.stop(script.stop_timeout).await);
    ops.push(Op {
        outcome,
        events: component.take_events(),
    });
    let final_state = component.state();
    drop(component);
    Trace {
        ops,
        final_state,
        live_instances: runtime.live_instances(),
        accounted_memory_bytes: runtime.accounted_memory_bytes(),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Bytes for a person: quoted text when printable UTF-8, else hex.
fn show(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => format!("{text:?}"),
        _ => format!("0x{}", hex(bytes)),
    }
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Start(_) => "start",
            Outcome::Message { .. } => "message",
            Outcome::Health(_) => "health",
            Outcome::Stop(_) => "stop",
        }
    }

    fn error(&self) -> Option<&Error> {
        match self {
            Outcome::Start(Err(e))
            | Outcome::Message { reply: Err(e), .. }
            | Outcome::Stop(Err(e)) => Some(e),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        let mut op = json!({"op": self.name(), "ok": self.error().is_none()});
        if let Some(error) = self.error() {
            op["error"] = json!(error);
        }
        match self {
            Outcome::Message { message, reply } => {
                op["message_hex"] = json!(hex(message));
                if let Ok(reply) = reply {
                    op["reply_hex"] = json!(hex(reply));
                }
            }
            Outcome::Health(health) => {
                let Value::Object(fields) = json!(health) else {
                    unreachable!("Health serializes as an object")
                };
                op.as_object_mut().expect("an object").extend(fields);
            }
            Outcome::Stop(Ok(warnings)) => op["warnings"] = json!(warnings),
            Outcome::Start(_) | Outcome::Stop(Err(_)) => {}
        }
        op
    }

    fn headline(&self) -> String {
        match self {
            Outcome::Start(Ok(())) => "start: ok".into(),
            Outcome::Message { message, reply } => {
                let sent = format!("message {} ({} bytes)", show(message), message.len());
                match reply {
                    Ok(r) if r.is_empty() => format!("{sent}: ok, no reply"),
                    Ok(r) => format!("{sent}: reply {} ({} bytes)", show(r), r.len()),
                    Err(e) => format!("{sent}: {e}"),
                }
            }
            Outcome::Health(health) => format!("health: {health}"),
            Outcome::Stop(Ok(w)) if w.is_empty() => "stop: ok".into(),
            Outcome::Stop(Ok(w)) => format!("stop: ok with {} warning(s)", w.len()),
            Outcome::Start(Err(e)) | Outcome::Stop(Err(e)) => format!("{}: {e}", self.name()),
        }
    }
}

impl Trace {
    /// Every transition in order, across all operations.
    pub fn transitions(&self) -> Vec<(State, State)> {
        self.ops
            .iter()
            .flat_map(|op| &op.events)
            .filter_map(|e| match e {
                Event::Transition { from, to } => Some((*from, *to)),
                _ => None,
            })
            .collect()
    }

    pub fn to_json(&self) -> Value {
        let ops: Vec<Value> = self
            .ops
            .iter()
            .map(|op| {
                let mut value = op.outcome.to_json();
                value["events"] = json!(op.events);
                value
            })
            .collect();
        json!({
            "final_state": self.final_state,
            "transitions": self.transitions(),
            "ops": ops,
            "live_instances": self.live_instances,
            "accounted_memory_bytes": self.accounted_memory_bytes,
        })
    }

    /// A timeline for a person: one line per operation, then one per event.
    pub fn timeline(&self) -> String {
        let mut out = String::new();
        for op in &self.ops {
            let _ = writeln!(out, "{}", op.outcome.headline());
            for event in &op.events {
                // The error is already in the headline.
                if !matches!(event, Event::Error { .. }) {
                    let _ = writeln!(out, "  {event}");
                }
            }
        }
        let _ = writeln!(
            out,
            "final state {}; {} live instance(s), {} byte(s) of memory accounted",
            self.final_state, self.live_instances, self.accounted_memory_bytes
        );
        out
    }
}
