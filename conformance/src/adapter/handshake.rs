//! Starting an adapter: its process spawned, and its handshake read and checked (the
//! protocol it speaks, its name, version and capabilities).
//!
//! Invariant: an adapter that does not start or greet within the greeting timeout is
//! killed, and [`ConnectError`] says why; nothing else is asked of it.

use super::PROTOCOL;
use super::client::Adapter;
use super::process::{Failure, LINE_SHOWN, Process};
use super::schema::{SchemaViolation, check_written};
use crate::one_line::shorten;
use crate::subject::Capabilities;
use serde_json::Value;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;

/// The least time an adapter has to start and greet, whatever its answer timeout:
/// starting a process (an interpreter, a virtual machine) on a busy machine can take
/// longer than answering one request.
const GREETING_FLOOR: Duration = Duration::from_secs(10);

/// Why an adapter could not be started: it does not start, or does not greet as the
/// protocol says.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the adapter command is empty")]
    NoCommand,
    #[error("cannot start adapter `{program}`: {cause}")]
    Start {
        program: String,
        cause: std::io::Error,
    },
    #[error("the adapter's standard input and output are not piped")]
    NotPiped,
    #[error("the adapter exited before its handshake")]
    ExitedBeforeHandshake,
    #[error("no handshake from the adapter within {0:?}")]
    NoHandshake(Duration),
    /// `line` is the start of what the adapter wrote (see [`LINE_SHOWN`]).
    #[error("the handshake is not JSON: {cause}: {line}")]
    HandshakeNotJson {
        cause: serde_json::Error,
        line: String,
    },
    /// The handshake's `protocol`, which is not [`PROTOCOL`].
    #[error("the adapter speaks {0}, not {protocol} (see ADAPTER.md)", protocol = PROTOCOL)]
    OtherProtocol(Value),
    #[error("the handshake is wrong {0}")]
    Handshake(SchemaViolation),
    #[error("the handshake's capabilities: {0}")]
    Capabilities(serde_json::Error),
    /// The adapter's pipes cannot be handed to the executor.
    #[error(transparent)]
    Pipes(#[from] std::io::Error),
}

impl Adapter {
    /// Starts `command` (program and arguments) and reads its handshake. Must be called
    /// inside a tokio runtime.
    pub fn connect(command: &[String], answer_timeout: Duration) -> Result<Adapter, ConnectError> {
        let (program, args) = command.split_first().ok_or(ConnectError::NoCommand)?;
        let mut child = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|cause| ConnectError::Start {
                program: program.clone(),
                cause,
            })?;
        let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
            let _ = child.kill();
            return Err(ConnectError::NotPiped);
        };
        // The first line is read on a thread of its own, so that an adapter that never
        // greets cannot block an executor thread.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line);
            let _ = tx.send((read, line, reader.into_inner()));
        });
        let fail = |mut child: std::process::Child, why: ConnectError| {
            let _ = child.kill();
            let _ = child.wait();
            Err(why)
        };
        // Waiting for the handshake blocks this thread: tell a multi-threaded executor,
        // so that its other tasks (other cases' watchers among them) move elsewhere.
        let greeting_timeout = answer_timeout.max(GREETING_FLOOR);
        let wait = || rx.recv_timeout(greeting_timeout);
        let greeting = match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
            _ => wait(),
        };
        let (line, stdout) = match greeting {
            Ok((Ok(n), line, stdout)) if n > 0 => (line, stdout),
            Ok(_) => return fail(child, ConnectError::ExitedBeforeHandshake),
            Err(_) => return fail(child, ConnectError::NoHandshake(greeting_timeout)),
        };
        let hello: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                let line = shorten(line.trim_end(), LINE_SHOWN);
                return fail(child, ConnectError::HandshakeNotJson { cause: e, line });
            }
        };
        if hello["protocol"] != PROTOCOL {
            return fail(
                child,
                ConnectError::OtherProtocol(hello["protocol"].clone()),
            );
        }
        if let Err(wrong) = check_written("handshake", &hello, &line) {
            return fail(child, ConnectError::Handshake(wrong));
        }
        let capabilities: Capabilities = match serde_json::from_value(hello["capabilities"].clone())
        {
            Ok(c) => c,
            Err(e) => return fail(child, ConnectError::Capabilities(e)),
        };
        let stdin = tokio::process::ChildStdin::from_std(stdin)?;
        let stdout = tokio::process::ChildStdout::from_std(stdout)?;
        let failure = Failure::default();
        Ok(Adapter {
            name: hello["name"].as_str().unwrap_or("adapter").to_string(),
            version: hello["version"].as_str().unwrap_or_default().to_string(),
            capabilities,
            process: Arc::new(tokio::sync::Mutex::new(Process {
                child,
                stdin,
                stdout: tokio::io::BufReader::new(stdout).lines(),
                next_id: 0,
                failure: failure.clone(),
            })),
            failure,
            next_component: Arc::new(AtomicU64::new(0)),
            answer_timeout,
        })
    }
}
