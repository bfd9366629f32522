//! The out-of-process adapter protocol (`conformance/ADAPTER.md`): JSON lines over an
//! adapter's stdin and stdout. [`serve`] puts any in-process [`Subject`] behind the
//! protocol; [`Adapter`] is a [`Subject`] that drives an adapter process, so the suite
//! checks a runtime in any language exactly as it checks one in process.
//!
//! A protocol failure (no answer in time, a crash, a malformed answer) panics inside the
//! case's task with a clear message: the runner reports that case as failed and goes on
//! with a fresh adapter process for the next case.

use crate::subject::{Capabilities, Counters, ModuleInput, Subject, SubjectComponent};
use lifecycle_contract::outcome::{hex, unhex};
use lifecycle_contract::{Error, Event, Health, Limits, Outcome, Profile, State, Warning};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

pub const PROTOCOL: &str = "lifecycle-adapter/1";

fn event_json(e: &Event) -> Value {
    match e {
        Event::Transition { from, to } => json!({"text": e.to_string(), "from": from, "to": to}),
        _ => json!({"text": e.to_string()}),
    }
}

fn event_from(v: &Value) -> Event {
    match (
        v.get("from")
            .and_then(|f| serde_json::from_value(f.clone()).ok()),
        v.get("to")
            .and_then(|t| serde_json::from_value(t.clone()).ok()),
    ) {
        (Some(from), Some(to)) => Event::Transition { from, to },
        _ => Event::Reported {
            text: v
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        },
    }
}

/// Serves `subject` over the protocol until `input` ends.
pub async fn serve<S: Subject>(
    subject: S,
    input: impl tokio::io::AsyncBufRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    let caps = subject.capabilities();
    let hello = json!({
        "protocol": PROTOCOL, "name": subject.name(), "version": subject.version(),
        "capabilities": {"standard_profile": caps.standard_profile, "fuel": caps.fuel, "timeouts": caps.timeouts},
    });
    output.write_all(format!("{hello}\n").as_bytes()).await?;
    output.flush().await?;
    let mut components: HashMap<String, S::Component> = HashMap::new();
    let mut lines = input.lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Err(e) => json!({"id": null, "ok": false, "error": format!("not JSON: {e}")}),
            Ok(request) => {
                let id = request.get("id").cloned().unwrap_or(Value::Null);
                let mut answer = match handle(&subject, &mut components, &request).await {
                    Ok(fields) => Value::Object(fields),
                    Err(e) => json!({"ok": false, "error": e}),
                };
                answer["id"] = id;
                answer
            }
        };
        output.write_all(format!("{answer}\n").as_bytes()).await?;
        output.flush().await?;
    }
    Ok(())
}

async fn handle<S: Subject>(
    subject: &S,
    components: &mut HashMap<String, S::Component>,
    request: &Value,
) -> Result<Map<String, Value>, String> {
    let text = |key: &str| {
        request
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{key}` missing or not a string"))
    };
    let op = text("op")?;
    let mut answer = Map::new();
    answer.insert("ok".into(), Value::Bool(true));
    if op == "counters" {
        let c = subject.counters().await;
        answer.insert("live_instances".into(), json!(c.live_instances));
        answer.insert(
            "accounted_memory_bytes".into(),
            json!(c.accounted_memory_bytes),
        );
        return Ok(answer);
    }
    let name = text("component")?.to_string();
    if op == "create" {
        let module = match (
            request.get("module_hex").and_then(Value::as_str),
            request.get("module_path").and_then(Value::as_str),
        ) {
            (Some(h), _) => {
                ModuleInput::Bytes(Arc::from(unhex(h).ok_or("`module_hex` is not hex")?))
            }
            (None, Some(p)) => ModuleInput::File(p.into()),
            (None, None) => return Err("`create` needs `module_hex` or `module_path`".into()),
        };
        let profile: Profile = text("profile")?.parse()?;
        let limits = Limits::from_json(request.get("limits").ok_or("`limits` missing")?)?;
        components.insert(name, subject.component(module, profile, limits));
        return Ok(answer);
    }
    if op == "drop" {
        let component = components
            .remove(&name)
            .ok_or_else(|| format!("no component `{name}`"))?;
        component.dispose().await;
        return Ok(answer);
    }
    let component = components
        .get_mut(&name)
        .ok_or_else(|| format!("no component `{name}`"))?;
    let outcome = match op {
        "start" => Outcome::Start(component.start().await),
        "send" => {
            let message = unhex(text("message_hex")?).ok_or("`message_hex` is not hex")?;
            let reply = component.handle_message(&message).await;
            Outcome::Message { message, reply }
        }
        "health" => Outcome::Health(component.health_check().await),
        "stop" => {
            let ms = request
                .get("timeout_ms")
                .and_then(Value::as_u64)
                .ok_or("`timeout_ms` missing")?;
            Outcome::Stop(component.stop(Duration::from_millis(ms)).await)
        }
        other => return Err(format!("unknown op `{other}`")),
    };
    answer.insert("outcome".into(), outcome.to_json());
    answer.insert(
        "events".into(),
        Value::Array(component.take_events().iter().map(event_json).collect()),
    );
    answer.insert("state".into(), json!(component.state()));
    Ok(answer)
}

struct Process {
    child: std::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    next_id: u64,
}

impl Drop for Process {
    fn drop(&mut self) {
        // An adapter is per case: whatever it is doing, it ends with its case.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A runtime behind an adapter process.
pub struct Adapter {
    process: Arc<tokio::sync::Mutex<Process>>,
    name: String,
    version: String,
    capabilities: Capabilities,
    next_component: Arc<AtomicU64>,
    answer_timeout: Duration,
}

impl Adapter {
    /// Starts `command` (program and arguments) and reads its handshake. Must be called
    /// inside a tokio runtime.
    pub fn connect(command: &[String], answer_timeout: Duration) -> Result<Adapter, String> {
        let (program, args) = command
            .split_first()
            .ok_or("the adapter command is empty")?;
        let mut child = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start adapter `{program}`: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let stdin = child.stdin.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line);
            let _ = tx.send((read, line, reader.into_inner()));
        });
        let fail = |mut child: std::process::Child, why: String| {
            let _ = child.kill();
            let _ = child.wait();
            Err(why)
        };
        let (line, stdout) = match rx.recv_timeout(answer_timeout) {
            Ok((Ok(n), line, stdout)) if n > 0 => (line, stdout),
            Ok(_) => return fail(child, "the adapter exited before its handshake".into()),
            Err(_) => {
                return fail(
                    child,
                    format!("no handshake from the adapter within {answer_timeout:?}"),
                );
            }
        };
        let hello: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => return fail(child, format!("the handshake is not JSON: {e}: {line}")),
        };
        if hello["protocol"] != PROTOCOL {
            return fail(
                child,
                format!("the adapter speaks {}, not {PROTOCOL}", hello["protocol"]),
            );
        }
        let cap = |k: &str| hello["capabilities"][k].as_bool().unwrap_or(false);
        let capabilities = Capabilities {
            standard_profile: cap("standard_profile"),
            fuel: cap("fuel"),
            timeouts: cap("timeouts"),
        };
        let stdin = tokio::process::ChildStdin::from_std(stdin).map_err(|e| e.to_string())?;
        let stdout = tokio::process::ChildStdout::from_std(stdout).map_err(|e| e.to_string())?;
        Ok(Adapter {
            name: hello["name"].as_str().unwrap_or("adapter").to_string(),
            version: hello["version"].as_str().unwrap_or_default().to_string(),
            capabilities,
            process: Arc::new(tokio::sync::Mutex::new(Process {
                child,
                stdin,
                stdout: tokio::io::BufReader::new(stdout).lines(),
                next_id: 0,
            })),
            next_component: Arc::new(AtomicU64::new(0)),
            answer_timeout,
        })
    }

    /// One request and its answer. Protocol failures panic (see the module docs).
    async fn request(
        process: &tokio::sync::Mutex<Process>,
        answer_timeout: Duration,
        mut request: Value,
    ) -> Value {
        let mut p = process.lock().await;
        p.next_id += 1;
        let id = p.next_id;
        request["id"] = json!(id);
        let op = request["op"].as_str().unwrap_or("?").to_string();
        let sent = p
            .stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .and(p.stdin.flush().await);
        if let Err(e) = sent {
            let status = p.child.try_wait().ok().flatten();
            panic!("adapter protocol: cannot send `{op}` (the adapter exited: {status:?}): {e}");
        }
        let line = match tokio::time::timeout(answer_timeout, p.stdout.next_line()).await {
            Err(_) => {
                let _ = p.child.kill();
                panic!(
                    "adapter protocol: no answer to `{op}` within {answer_timeout:?}; the adapter was killed"
                );
            }
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => {
                let status = p.child.wait().ok();
                panic!("adapter protocol: the adapter exited while handling `{op}` ({status:?})");
            }
            Ok(Err(e)) => panic!("adapter protocol: reading the answer to `{op}`: {e}"),
        };
        let answer: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("adapter protocol: the answer to `{op}` is not JSON ({e}): {line}")
        });
        if answer["id"] != json!(id) {
            panic!(
                "adapter protocol: answer {} to request {id} (`{op}`)",
                answer["id"]
            );
        }
        if answer["ok"] != json!(true) {
            panic!("adapter protocol: `{op}` refused: {}", answer["error"]);
        }
        answer
    }
}

pub struct AdapterComponent {
    process: Arc<tokio::sync::Mutex<Process>>,
    answer_timeout: Duration,
    id: String,
    /// The `create` request, sent with the first operation.
    pending: Option<Value>,
    state: State,
    events: Vec<Event>,
}

impl AdapterComponent {
    async fn operate(&mut self, request: Value) -> Outcome {
        let answer = Adapter::request(&self.process, self.answer_timeout, request).await;
        let outcome = Outcome::from_json(&answer["outcome"]).unwrap_or_else(|e| {
            panic!("adapter protocol: bad outcome ({e}): {}", answer["outcome"])
        });
        self.events.extend(
            answer["events"]
                .as_array()
                .into_iter()
                .flatten()
                .map(event_from),
        );
        self.state = serde_json::from_value(answer["state"].clone())
            .unwrap_or_else(|e| panic!("adapter protocol: bad state ({e}): {}", answer["state"]));
        outcome
    }
}

impl Subject for Adapter {
    type Component = AdapterComponent;

    fn name(&self) -> String {
        self.name.clone()
    }
    fn version(&self) -> String {
        self.version.clone()
    }
    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn component(&self, module: ModuleInput, profile: Profile, limits: Limits) -> AdapterComponent {
        let id = format!(
            "c{}",
            self.next_component.fetch_add(1, Ordering::SeqCst) + 1
        );
        let mut create = json!({"op": "create", "component": id, "profile": profile.as_str(), "limits": limits.to_json()});
        match module {
            ModuleInput::Bytes(b) => create["module_hex"] = json!(hex(&b)),
            ModuleInput::File(p) => create["module_path"] = json!(p.to_string_lossy()),
        }
        AdapterComponent {
            process: self.process.clone(),
            answer_timeout: self.answer_timeout,
            id,
            // Created on the adapter with the first operation: `component` is sync.
            pending: Some(create),
            state: State::Creating,
            events: Vec::new(),
        }
    }

    async fn counters(&self) -> Counters {
        let answer = Adapter::request(
            &self.process,
            self.answer_timeout,
            json!({"op": "counters"}),
        )
        .await;
        Counters {
            live_instances: answer["live_instances"].as_u64().unwrap_or(u64::MAX) as usize,
            accounted_memory_bytes: answer["accounted_memory_bytes"]
                .as_u64()
                .unwrap_or(u64::MAX),
        }
    }
}

impl AdapterComponent {
    /// Creates the component on the adapter on first use.
    async fn created(&mut self) -> String {
        if let Some(create) = self.pending.take() {
            Adapter::request(&self.process, self.answer_timeout, create).await;
        }
        self.id.clone()
    }
}

impl SubjectComponent for AdapterComponent {
    async fn start(&mut self) -> Result<(), Error> {
        let id = self.created().await;
        match self.operate(json!({"op": "start", "component": id})).await {
            Outcome::Start(r) => r,
            other => panic!("adapter protocol: `start` answered {}", other.name()),
        }
    }
    async fn handle_message(&mut self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let id = self.created().await;
        match self
            .operate(json!({"op": "send", "component": id, "message_hex": hex(message)}))
            .await
        {
            Outcome::Message { reply, .. } => reply,
            other => panic!("adapter protocol: `send` answered {}", other.name()),
        }
    }
    async fn health_check(&mut self) -> Health {
        let id = self.created().await;
        match self.operate(json!({"op": "health", "component": id})).await {
            Outcome::Health(h) => h,
            other => panic!("adapter protocol: `health` answered {}", other.name()),
        }
    }
    async fn stop(&mut self, timeout: Duration) -> Result<Vec<Warning>, Error> {
        let id = self.created().await;
        match self
            .operate(
                json!({"op": "stop", "component": id, "timeout_ms": timeout.as_millis() as u64}),
            )
            .await
        {
            Outcome::Stop(r) => r,
            other => panic!("adapter protocol: `stop` answered {}", other.name()),
        }
    }
    fn state(&self) -> State {
        self.state
    }
    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
    async fn dispose(mut self) {
        let id = self.created().await;
        Adapter::request(
            &self.process,
            self.answer_timeout,
            json!({"op": "drop", "component": id}),
        )
        .await;
    }
}
