//! One adapter process as the client talks to it: a request written, its answer read
//! within a timeout and checked against the schema. The first way the adapter leaves the
//! protocol is kept as a [`ProtocolError`] naming the request, and ends the process.
//!
//! Invariants: answers come in order, each with its request's id; once failed, the
//! process is asked nothing more; a process never outlives its [`Process`].

use super::schema::{SchemaViolation, check_written};
use crate::one_line::shorten;
use serde_json::{Value, json};
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How much of a line outside the protocol a message quotes, in characters.
pub(super) const LINE_SHOWN: usize = 200;

/// A request as messages name it: "`start` (request 3)".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub op: String,
    /// Its `id`: requests are numbered from 1, per adapter process.
    pub id: u64,
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` (request {})", self.op, self.id)
    }
}

/// How an adapter left the protocol, naming the request it got wrong.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("adapter protocol: cannot send {request}: {cause} (the adapter exited: {status:?})")]
    Send {
        request: Request,
        cause: std::io::Error,
        status: Option<ExitStatus>,
    },
    #[error("adapter protocol: no answer to {request} within {timeout:?}; the adapter was killed")]
    Silent { request: Request, timeout: Duration },
    #[error("adapter protocol: the adapter exited while handling {request} ({status:?})")]
    Exited {
        request: Request,
        status: Option<ExitStatus>,
    },
    #[error("adapter protocol: reading the answer to {request}: {cause}")]
    Read {
        request: Request,
        cause: std::io::Error,
    },
    /// `line` is the start of what the adapter wrote (see [`LINE_SHOWN`]).
    #[error(
        "adapter protocol: the answer to {request} is not JSON ({cause}; anything but protocol lines on stdout breaks the protocol: log to stderr): {line}"
    )]
    NotJson {
        request: Request,
        cause: serde_json::Error,
        line: String,
    },
    #[error(
        "adapter protocol: the answer to {request} carries `id` {id} (answers come in order, each with its request's id)"
    )]
    WrongId { request: Request, id: Value },
    /// The adapter refused the request, with this `error`.
    #[error("adapter protocol: the adapter refused it: {error} ({request})")]
    Refused { request: Request, error: Value },
    #[error(
        "adapter protocol: the adapter refused it with a malformed refusal {violation} ({request})"
    )]
    MalformedRefusal {
        request: Request,
        violation: SchemaViolation,
    },
    #[error("adapter protocol: the answer to {request} is wrong {violation}")]
    WrongAnswer {
        request: Request,
        violation: SchemaViolation,
    },
    /// An answer the schema allows whose outcome the contract cannot read.
    #[error("adapter protocol: the answer to `{op}` has an outcome the suite cannot read: {cause}")]
    UnreadableOutcome { op: String, cause: String },
    #[error(
        "adapter protocol: the answer to `counters` has no `compilations`, which the handshake declares"
    )]
    NoCompilations,
}

/// The first way an adapter left the protocol; once set, the adapter is not asked again.
pub(super) type Failure = Arc<Mutex<Option<ProtocolError>>>;

pub(super) struct Process {
    pub(super) child: std::process::Child,
    pub(super) stdin: tokio::process::ChildStdin,
    pub(super) stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    pub(super) next_id: u64,
    pub(super) failure: Failure,
}
impl Drop for Process {
    fn drop(&mut self) {
        // An adapter is per case: whatever it is doing, it ends with its case.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// Records why the adapter left the protocol (the first reason only) and ends it.
    pub(super) fn fail(&mut self, why: ProtocolError) {
        let mut failure = self.failure.lock().expect("failure lock");
        if failure.is_none() {
            tracing::debug!(%why, "adapter protocol failure");
            *failure = Some(why);
        }
        let _ = self.child.kill();
    }

    /// Sends `request` and reads its answer, checked against the schema's `kind`.
    /// `None` once the adapter has left the protocol (see [`Process::fail`]).
    pub(super) async fn request(
        &mut self,
        mut request: Value,
        kind: &str,
        answer_timeout: Duration,
    ) -> Option<Value> {
        if self.failure.lock().expect("failure lock").is_some() {
            return None;
        }
        self.next_id += 1;
        let id = self.next_id;
        request["id"] = json!(id);
        let what = Request {
            op: request["op"].as_str().unwrap_or("?").to_string(),
            id,
        };
        let sent = self
            .stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .and(self.stdin.flush().await);
        if let Err(e) = sent {
            let status = self.child.try_wait().ok().flatten();
            self.fail(ProtocolError::Send {
                request: what,
                cause: e,
                status,
            });
            return None;
        }
        let line = match tokio::time::timeout(answer_timeout, self.stdout.next_line()).await {
            Err(_) => {
                self.fail(ProtocolError::Silent {
                    request: what,
                    timeout: answer_timeout,
                });
                return None;
            }
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => {
                let status = self.child.wait().ok();
                self.fail(ProtocolError::Exited {
                    request: what,
                    status,
                });
                return None;
            }
            Ok(Err(e)) => {
                self.fail(ProtocolError::Read {
                    request: what,
                    cause: e,
                });
                return None;
            }
        };
        let answer: Value = match serde_json::from_str(&line) {
            Ok(answer) => answer,
            Err(e) => {
                self.fail(ProtocolError::NotJson {
                    request: what,
                    cause: e,
                    line: shorten(&line, LINE_SHOWN),
                });
                return None;
            }
        };
        if answer["id"] != json!(id) {
            self.fail(ProtocolError::WrongId {
                request: what,
                id: answer["id"].clone(),
            });
            return None;
        }
        if answer["ok"] == json!(false) {
            let refused = match check_written("refusal", &answer, &line) {
                Ok(()) => ProtocolError::Refused {
                    request: what,
                    error: answer["error"].clone(),
                },
                Err(violation) => ProtocolError::MalformedRefusal {
                    request: what,
                    violation,
                },
            };
            self.fail(refused);
            return None;
        }
        if let Err(violation) = check_written(kind, &answer, &line) {
            self.fail(ProtocolError::WrongAnswer {
                request: what,
                violation,
            });
            return None;
        }
        Some(answer)
    }
}
