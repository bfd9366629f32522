//! Operations and their outcomes: the shape of a trace, shared by the runtime that
//! produces one and the oracle that predicts one.

use crate::error::{Error, Warning};
#[cfg(test)]
use crate::error::{Fault, Stage};
use crate::events::GuestCall;
use crate::health::Health;
use crate::state::State;
use serde_json::{Value, json};
use std::fmt::Write;
use std::time::Duration;

/// What to do with a component after start: messages in order, an optional health
/// check, then stop with this `_cleanup` timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    pub messages: Vec<Vec<u8>>,
    pub health: bool,
    pub stop_timeout: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            messages: Vec::new(),
            health: false,
            stop_timeout: crate::limits::DEFAULT_STOP_TIMEOUT,
        }
    }
}

/// One operation on a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Start,
    Send(Vec<u8>),
    Health,
    Stop(Duration),
}

impl Script {
    /// The script as steps: start, each message, health if asked, stop.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps = vec![Step::Start];
        steps.extend(self.messages.iter().cloned().map(Step::Send));
        if self.health {
            steps.push(Step::Health);
        }
        steps.push(Step::Stop(self.stop_timeout));
        steps
    }
}

/// One operation and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Start(Result<(), Error>),
    Message {
        message: Vec<u8>,
        reply: Result<Vec<u8>, Error>,
    },
    Health(Health),
    Stop(Result<Vec<Warning>, Error>),
}

/// One operation as the contract sees it: how it ended, and the guest calls it made, in
/// order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub outcome: Outcome,
    pub calls: Vec<GuestCall>,
}

/// A whole run, without the free-form events: what the contract requires and an oracle
/// can predict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub ops: Vec<Operation>,
    pub transitions: Vec<(State, State)>,
    pub final_state: State,
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Bytes for a person: quoted text when printable UTF-8, else hex.
pub fn show(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => format!("{text:?}"),
        _ => format!("0x{}", hex(bytes)),
    }
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Start(_) => "start",
            Outcome::Message { .. } => "message",
            Outcome::Health(_) => "health",
            Outcome::Stop(_) => "stop",
        }
    }

    pub fn error(&self) -> Option<&Error> {
        match self {
            Outcome::Start(Err(e))
            | Outcome::Message { reply: Err(e), .. }
            | Outcome::Stop(Err(e)) => Some(e),
            _ => None,
        }
    }

    /// The same outcome with every error's free-text detail removed: what is compared.
    pub fn without_detail(&self) -> Outcome {
        let strip = |e: &Error| Error {
            detail: None,
            ..e.clone()
        };
        match self {
            Outcome::Start(r) => Outcome::Start(r.as_ref().map(|_| ()).map_err(strip)),
            Outcome::Message { message, reply } => Outcome::Message {
                message: message.clone(),
                reply: reply.clone().map_err(|e| strip(&e)),
            },
            Outcome::Health(h) => Outcome::Health(*h),
            Outcome::Stop(r) => Outcome::Stop(r.clone().map_err(|e| strip(&e))),
        }
    }

    /// The operation as a JSON object: `op`, `ok`, `error` and the op's own fields.
    pub fn to_json(&self) -> Value {
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
                if let (Some(op), Value::Object(fields)) = (op.as_object_mut(), json!(health)) {
                    op.extend(fields);
                }
            }
            Outcome::Stop(Ok(warnings)) => op["warnings"] = json!(warnings),
            Outcome::Start(_) | Outcome::Stop(Err(_)) => {}
        }
        op
    }

    /// One line for a person.
    pub fn headline(&self) -> String {
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

impl Operation {
    pub fn new(outcome: Outcome, calls: Vec<GuestCall>) -> Self {
        Operation { outcome, calls }
    }

    /// The outcome's JSON (see [`Outcome::to_json`]) with the guest calls as `calls`.
    pub fn to_json(&self) -> Value {
        let mut op = self.outcome.to_json();
        op["calls"] = json!(self.calls);
        op
    }

    /// The operation from [`Operation::to_json`]'s shape; `calls` may be left out when
    /// the operation made none.
    pub fn from_json(value: &Value) -> Result<Operation, ShapeError> {
        let calls = match value.get("calls") {
            None => Vec::new(),
            Some(calls) => {
                serde_json::from_value(calls.clone()).map_err(ShapeError::bad("calls"))?
            }
        };
        Ok(Operation {
            outcome: Outcome::from_json(value)?,
            calls,
        })
    }
}

impl Summary {
    /// The outcomes alone, in order.
    pub fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.ops.iter().map(|op| &op.outcome)
    }

    /// The same summary with every error's detail removed: what is compared.
    pub fn without_detail(&self) -> Summary {
        Summary {
            ops: self
                .ops
                .iter()
                .map(|op| Operation {
                    outcome: op.outcome.without_detail(),
                    calls: op.calls.clone(),
                })
                .collect(),
            ..self.clone()
        }
    }

    /// The `trace --json` shape, without events.
    pub fn to_json(&self) -> Value {
        let ops: Vec<Value> = self.ops.iter().map(Operation::to_json).collect();
        json!({
            "final_state": self.final_state,
            "transitions": self.transitions,
            "ops": ops,
            "live_instances": self.live_instances,
            "accounted_memory_bytes": self.accounted_memory_bytes,
        })
    }

    /// The summary from [`Summary::to_json`]'s shape; the counters default to 0.
    pub fn from_json(value: &Value) -> Result<Summary, ShapeError> {
        let ops = value
            .get("ops")
            .ok_or(ShapeError::Missing("ops"))?
            .as_array()
            .ok_or(ShapeError::NotA("ops", "an array"))?
            .iter()
            .enumerate()
            .map(|(i, op)| {
                Operation::from_json(op).map_err(|e| ShapeError::InOp(i + 1, Box::new(e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        fn read<T: serde::de::DeserializeOwned>(
            value: &Value,
            key: &'static str,
        ) -> Result<T, ShapeError> {
            let field = value.get(key).ok_or(ShapeError::Missing(key))?;
            serde_json::from_value(field.clone()).map_err(ShapeError::bad(key))
        }
        let count = |key: &str| value.get(key).and_then(Value::as_u64).unwrap_or(0);
        Ok(Summary {
            ops,
            transitions: read(value, "transitions")?,
            final_state: read(value, "final_state")?,
            live_instances: count("live_instances") as usize,
            accounted_memory_bytes: count("accounted_memory_bytes"),
        })
    }
}

/// Why JSON is not in the shape [`Outcome::to_json`], [`Operation::to_json`] or
/// [`Summary::to_json`] write: the field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// The field, and what it should be ("a boolean").
    #[error("`{0}` is not {1}")]
    NotA(&'static str, &'static str),
    #[error("bad `{0}`: {1}")]
    Bad(&'static str, String),
    #[error("bad health: {0}")]
    Health(String),
    #[error("unknown op `{0}`")]
    UnknownOp(String),
    /// In the operation at this 1-based position.
    #[error("op {0}: {1}")]
    InOp(usize, Box<ShapeError>),
}

impl ShapeError {
    /// The field `key` that serde could not read.
    fn bad(key: &'static str) -> impl Fn(serde_json::Error) -> ShapeError {
        move |e| ShapeError::Bad(key, e.to_string())
    }
}

/// The bytes of a lowercase or uppercase hex string.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Outcome {
    /// The outcome of operation `name` from its JSON (the shape [`Outcome::to_json`]
    /// writes), or why it cannot be read.
    pub fn from_json(value: &Value) -> Result<Outcome, ShapeError> {
        let field = |key: &'static str| value.get(key).ok_or(ShapeError::Missing(key));
        let ok = field("ok")?
            .as_bool()
            .ok_or(ShapeError::NotA("ok", "a boolean"))?;
        let error = || -> Result<Error, ShapeError> {
            serde_json::from_value(field("error")?.clone()).map_err(ShapeError::bad("error"))
        };
        let op = field("op")?
            .as_str()
            .ok_or(ShapeError::NotA("op", "a string"))?;
        Ok(match op {
            "start" => Outcome::Start(if ok { Ok(()) } else { Err(error()?) }),
            "message" => {
                let hex_of = |key: &'static str| -> Result<Vec<u8>, ShapeError> {
                    field(key)?
                        .as_str()
                        .and_then(unhex)
                        .ok_or(ShapeError::NotA(key, "hex"))
                };
                let message = hex_of("message_hex")?;
                let reply = if ok {
                    Ok(hex_of("reply_hex")?)
                } else {
                    Err(error()?)
                };
                Outcome::Message { message, reply }
            }
            "health" => Outcome::Health(
                serde_json::from_value(value.clone())
                    .map_err(|e| ShapeError::Health(e.to_string()))?,
            ),
            "stop" => Outcome::Stop(if ok {
                Ok(serde_json::from_value(field("warnings")?.clone())
                    .map_err(ShapeError::bad("warnings"))?)
            } else {
                Err(error()?)
            }),
            other => return Err(ShapeError::UnknownOp(other.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_stripped_for_comparison() {
        let with = Outcome::Start(Err(
            Error::new(Stage::Load, Fault::ComponentNotFound).with_detail("engine words")
        ));
        let without = Outcome::Start(Err(Error::new(Stage::Load, Fault::ComponentNotFound)));
        assert_ne!(with, without);
        assert_eq!(with.without_detail(), without);
    }

    /// The lines `trace` and the reports print: a person reads them, so each shape is
    /// pinned here (the suite compares values, never this text).
    #[test]
    fn headlines_read_as_a_person_would() {
        use crate::error::{RejectReason, TrapCode};
        let rejected = Error::new(
            Stage::HandleMessage,
            Fault::MessageRejected {
                reason: RejectReason::TooLarge,
            },
        );
        let trapped = Error::new(
            Stage::Start,
            Fault::Trapped {
                trap: TrapCode::Unreachable,
            },
        );
        let message = |message: &[u8], reply| Outcome::Message {
            message: message.to_vec(),
            reply,
        };
        let lines = [
            (Outcome::Start(Ok(())), "start: ok"),
            (
                Outcome::Start(Err(trapped)),
                "start: trapped (unreachable) at stage _start",
            ),
            (
                message(b"hi", Ok(b"yo".to_vec())),
                "message \"hi\" (2 bytes): reply \"yo\" (2 bytes)",
            ),
            (
                message(b"hi", Ok(vec![])),
                "message \"hi\" (2 bytes): ok, no reply",
            ),
            (
                message(b"\x00\n", Err(rejected)),
                "message 0x000a (2 bytes): message_rejected (too_large) at stage handle-message",
            ),
            (
                Outcome::Health(Health::from_code(1)),
                "health: degraded (reported by _health)",
            ),
            (Outcome::Stop(Ok(vec![])), "stop: ok"),
            (
                Outcome::Stop(Ok(vec![Warning::CleanupTimeout])),
                "stop: ok with 1 warning(s)",
            ),
        ];
        for (outcome, line) in lines {
            assert_eq!(outcome.headline(), line);
        }
        // Printable text is quoted; text with a control character is shown as hex.
        assert_eq!(show(b"a b"), "\"a b\"");
        assert_eq!(show(b"a\tb"), "0x610962");
        assert_eq!(show(&[0xff]), "0xff");
    }

    #[test]
    fn a_summary_gives_its_outcomes_in_order() {
        let ops = [Outcome::Start(Ok(())), Outcome::Stop(Ok(vec![]))];
        let summary = Summary {
            ops: ops
                .iter()
                .map(|o| Operation::new(o.clone(), vec![]))
                .collect(),
            transitions: vec![],
            final_state: State::Terminated,
            live_instances: 0,
            accounted_memory_bytes: 0,
        };
        assert_eq!(summary.outcomes().cloned().collect::<Vec<_>>(), ops);
    }

    #[test]
    fn outcomes_round_trip_through_json() {
        use crate::error::{RejectReason, TrapCode};
        let outcomes = [
            Outcome::Start(Ok(())),
            Outcome::Start(Err(Error::new(
                Stage::Instantiate,
                Fault::Trapped {
                    trap: TrapCode::Unreachable,
                },
            ))),
            Outcome::Message {
                message: b"hi".to_vec(),
                reply: Ok(b"yo".to_vec()),
            },
            Outcome::Message {
                message: vec![],
                reply: Err(Error::new(
                    Stage::HandleMessage,
                    Fault::MessageRejected {
                        reason: RejectReason::TooLarge,
                    },
                )),
            },
            Outcome::Message {
                message: vec![1],
                reply: Err(Error::new(
                    Stage::HandleMessage,
                    Fault::MessageError { code: 1 << 63 },
                )),
            },
            Outcome::Health(Health::from_code(9)),
            Outcome::Health(Health::for_state(crate::State::Failed)),
            Outcome::Stop(Ok(vec![
                Warning::CleanupTrapped {
                    trap: TrapCode::StackOverflow,
                },
                Warning::CleanupTimeout,
            ])),
        ];
        for o in outcomes {
            assert_eq!(
                Outcome::from_json(&o.to_json()),
                Ok(o.clone()),
                "{}",
                o.to_json()
            );
        }
        assert!(Outcome::from_json(&json!({"op": "dance", "ok": true})).is_err());
        assert_eq!(unhex("00ff7A"), Some(vec![0, 255, 122]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn summaries_round_trip_through_json() {
        use crate::events::CallOutcome;
        let summary = Summary {
            ops: vec![Operation {
                outcome: Outcome::Start(Ok(())),
                calls: vec![GuestCall::new(crate::Entry::Start, CallOutcome::Returned)],
            }],
            transitions: vec![
                (State::Creating, State::Starting),
                (State::Starting, State::Ready),
            ],
            final_state: State::Ready,
            live_instances: 1,
            accounted_memory_bytes: 65_536,
        };
        assert_eq!(Summary::from_json(&summary.to_json()), Ok(summary.clone()));
        let mut no_ops = summary.to_json();
        no_ops["ops"] = json!([{"op": "dance"}]);
        assert_eq!(
            Summary::from_json(&no_ops).unwrap_err().to_string(),
            "op 1: missing `ok`"
        );
        assert!(Summary::from_json(&json!({"ops": []})).is_err());
    }

    #[test]
    fn ops_serialize_in_the_trace_shape() {
        let op = Outcome::Message {
            message: b"hi".to_vec(),
            reply: Ok(vec![]),
        };
        assert_eq!(
            op.to_json(),
            json!({"op": "message", "ok": true, "message_hex": "6869", "reply_hex": ""})
        );
        let op = Outcome::Health(Health::from_code(9));
        assert_eq!(
            op.to_json(),
            json!({"op": "health", "ok": true, "health": "unhealthy", "reason": "unknown_health_code", "code": 9})
        );
    }
}
