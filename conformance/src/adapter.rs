//! The out-of-process adapter protocol (`conformance/ADAPTER.md`): JSON lines over an
//! adapter's stdin and stdout. [`serve`] puts any in-process [`Subject`] behind the
//! protocol, reading each request into a [`Step`] that the one driver
//! ([`crate::drive::step`]) performs; [`Adapter`] is a [`Subject`] that drives an adapter
//! process, so the suite checks a runtime in any language exactly as it checks one in
//! process.
//!
//! Every line an adapter writes is checked against `conformance/adapter.schema.json`,
//! the protocol's one definition, before anything reads it. A line outside the protocol
//! (not JSON, a field missing or misspelled, an answer to another request, silence past
//! the answer timeout, an exit) ends that adapter: its process is killed, and
//! [`Subject::failure`] says, in one line, which request got which wrong answer at which
//! field. The runner then fails that case with that line; nothing panics.

use crate::drive::{self, StepRecord};
use crate::one_line::shorten;
use crate::subject::{Capabilities, Counters, ModuleSource, Subject, SubjectComponent};
use lifecycle_contract::outcome::{hex, unhex};
use lifecycle_contract::source::is_wat;
use lifecycle_contract::{
    Error, Event, Fault, GuestCall, Health, Limits, Outcome, Profile, Stage, State, Step, Warning,
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

pub const PROTOCOL: &str = "lifecycle-adapter/2";

/// The protocol's JSON Schema: every kind of line an adapter writes, under `$defs`.
pub const SCHEMA: &str = include_str!("../adapter.schema.json");

/// One validator per kind of line, all from [`SCHEMA`].
struct Validators(HashMap<&'static str, jsonschema::Validator>);

/// The kinds of line an adapter writes, as `$defs` of the schema names them.
const LINE_KINDS: &[&str] = &[
    "handshake",
    "refusal",
    "done_answer",
    "counters_answer",
    "start_answer",
    "send_answer",
    "health_answer",
    "stop_answer",
];

static VALIDATORS: LazyLock<Validators> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
    Validators(
        LINE_KINDS
            .iter()
            .map(|&kind| {
                let mut root = schema.clone();
                root["$ref"] = json!(format!("#/$defs/{kind}"));
                let validator = jsonschema::validator_for(&root)
                    .unwrap_or_else(|e| panic!("adapter.schema.json, `{kind}`: {e}"));
                (kind, validator)
            })
            .collect(),
    )
});

/// Checks `line` against the schema's definition `kind`, reporting every violation on
/// one line: the first in document order (a place before its members, members and
/// elements in their order; a member not allowed where it was written, a member missing
/// at its object) with its message, then how many more there are and where:
///
/// ```text
/// at `/events/0/export`: "main" is not one of ...; and 2 more violations, at
/// `/events/1/outcome`, `/state` (see adapter.schema.json, `$defs/start_answer`)
/// ```
///
/// A single violation is "at `/field/path`: what was wrong (see ...)". Document order
/// is `line`'s own, whose objects keep their members sorted by name; [`check_written`]
/// follows the text an adapter wrote.
pub fn check_line(kind: &str, line: &Value) -> Result<(), String> {
    check(kind, line, || Written::of(line))
}

/// [`check_line`] for a line as an adapter wrote it, `text`: the first violation is the
/// first in the text.
pub fn check_written(kind: &str, line: &Value, text: &str) -> Result<(), String> {
    check(kind, line, || {
        serde_json::from_str(text).unwrap_or_else(|_| Written::of(line))
    })
}

fn check(kind: &str, line: &Value, written: impl FnOnce() -> Written) -> Result<(), String> {
    let validator = VALIDATORS
        .0
        .get(kind)
        .unwrap_or_else(|| panic!("no `{kind}` in adapter.schema.json"));
    let mut violations: Vec<_> = validator.iter_errors(line).collect();
    if violations.len() > 1 {
        let written = written();
        // Stable: violations at one place keep the validator's order.
        violations.sort_by_cached_key(|e| written.position(e.instance_path(), member_named(e)));
    }
    let place = |e: &jsonschema::ValidationError| match e.instance_path().as_str() {
        "" => "/".to_string(),
        at => at.to_string(),
    };
    let Some((first, rest)) = violations.split_first() else {
        return Ok(());
    };
    let mut more = String::new();
    if !rest.is_empty() {
        let mut places: Vec<String> = Vec::new();
        for e in rest {
            let at = format!("`{}`", place(e));
            if !places.contains(&at) {
                places.push(at);
            }
        }
        let violations = if rest.len() == 1 {
            "violation"
        } else {
            "violations"
        };
        more = format!(
            "; and {} more {violations}, at {}",
            rest.len(),
            places.join(", ")
        );
    }
    Err(format!(
        "at `{}`: {first}{more} (see adapter.schema.json, `$defs/{kind}`)",
        place(first)
    ))
}

/// The member a violation is about, where it is about one by name rather than by value
/// (a member not allowed): its place is where that member was written, not its object's.
/// A member missing has no place of its own: its object's is where it is.
fn member_named(e: &jsonschema::ValidationError) -> Option<String> {
    use jsonschema::error::ValidationErrorKind as Kind;
    match e.kind() {
        Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => {
            unexpected.first().cloned()
        }
        Kind::PropertyNames { error } => error.instance().as_str().map(String::from),
        _ => None,
    }
}

/// The shape of a JSON document in the order it was written: each object's members in
/// their order, which [`Value`] does not keep. It only orders places.
#[derive(Debug, PartialEq)]
enum Written {
    Object(Vec<(String, Written)>),
    Array(Vec<Written>),
    Leaf,
}

impl Written {
    fn of(value: &Value) -> Written {
        match value {
            Value::Object(members) => Written::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), Written::of(v)))
                    .collect(),
            ),
            Value::Array(elements) => Written::Array(elements.iter().map(Written::of).collect()),
            _ => Written::Leaf,
        }
    }

    /// Where `at` (or its `member` of that name) comes in document order: the index of
    /// each step down among its siblings, so that a place sorts before its members, and
    /// siblings in their order. (A duplicated member is where it was last written: that
    /// is the one read.)
    fn position(&self, at: &jsonschema::paths::Location, member: Option<String>) -> Vec<usize> {
        let mut here = self;
        let mut position = Vec::new();
        let steps = at.segments().map(|segment| segment.to_string());
        for key in steps.chain(member) {
            let found = match here {
                Written::Object(members) => members.iter().rposition(|(k, _)| *k == key),
                Written::Array(elements) => key.parse().ok().filter(|&i| i < elements.len()),
                Written::Leaf => None,
            };
            let Some(index) = found else {
                position.push(usize::MAX);
                break;
            };
            position.push(index);
            here = match here {
                Written::Object(members) => &members[index].1,
                Written::Array(elements) => &elements[index],
                Written::Leaf => break,
            };
        }
        position
    }
}

impl<'de> serde::Deserialize<'de> for Written {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Written;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Written, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Written>()? {
                    members.push(member);
                }
                Ok(Written::Object(members))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Written, A::Error> {
                let mut elements = Vec::new();
                while let Some(element) = seq.next_element()? {
                    elements.push(element);
                }
                Ok(Written::Array(elements))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_i128<E>(self, _: i128) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_u128<E>(self, _: u128) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Written, E> {
                Ok(Written::Leaf)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// An event as the protocol carries it: transitions and guest calls structured (they
/// are compared), anything else a note with its text.
pub fn event_json(e: &Event) -> Value {
    match e {
        Event::Transition { from, to } => {
            json!({"event": "transition", "from": from, "to": to})
        }
        Event::GuestCall(call) => {
            let mut value = json!(call);
            value["event"] = json!("guest_call");
            value
        }
        other => json!({"event": "note", "text": other.to_string()}),
    }
}

/// An event from its protocol form (already checked against the schema).
fn event_from(v: &Value) -> Event {
    let text = || v["text"].as_str().unwrap_or_default().to_string();
    match v["event"].as_str() {
        Some("transition") => match (
            serde_json::from_value(v["from"].clone()),
            serde_json::from_value(v["to"].clone()),
        ) {
            (Ok(from), Ok(to)) => Event::Transition { from, to },
            _ => Event::Reported { text: text() },
        },
        Some("guest_call") => match serde_json::from_value::<GuestCall>(v.clone()) {
            Ok(call) => Event::GuestCall(call),
            Err(_) => Event::Reported { text: text() },
        },
        _ => Event::Reported { text: text() },
    }
}

/// Serves `subject` over the protocol until `input` ends.
pub async fn serve<S: Subject>(
    subject: S,
    input: impl tokio::io::AsyncBufRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    let hello = json!({
        "protocol": PROTOCOL, "name": subject.name(), "version": subject.version(),
        "capabilities": subject.capabilities(),
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
            Err(e) => json!({"id": 0, "ok": false, "error": format!("not JSON: {e}")}),
            Ok(request) => {
                let id = request.get("id").cloned().unwrap_or(json!(0));
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
        if let Some(n) = c.compilations {
            answer.insert("compilations".into(), json!(n));
        }
        return Ok(answer);
    }
    let name = text("component")?.to_string();
    if op == "create" {
        let module = match (
            request.get("module_hex").and_then(Value::as_str),
            request.get("module_path").and_then(Value::as_str),
        ) {
            (Some(h), _) => {
                ModuleSource::Bytes(Arc::from(unhex(h).ok_or("`module_hex` is not hex")?))
            }
            (None, Some(p)) => ModuleSource::File(p.into()),
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
    let step = match op {
        "start" => Step::Start,
        "send" => Step::Send(unhex(text("message_hex")?).ok_or("`message_hex` is not hex")?),
        "health" => Step::Health,
        "stop" => {
            let ms = request
                .get("timeout_ms")
                .and_then(Value::as_u64)
                .ok_or("`timeout_ms` missing")?;
            Step::Stop(Duration::from_millis(ms))
        }
        other => return Err(format!("unknown op `{other}`")),
    };
    let StepRecord { outcome, events } = drive::step(component, &step).await;
    answer.insert("outcome".into(), outcome.to_json());
    answer.insert(
        "events".into(),
        Value::Array(events.iter().map(event_json).collect()),
    );
    answer.insert("state".into(), json!(component.state()));
    Ok(answer)
}

/// The first way an adapter left the protocol; once set, the adapter is not asked again.
type Failure = Arc<Mutex<Option<String>>>;

struct Process {
    child: std::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    next_id: u64,
    failure: Failure,
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
    fn fail(&mut self, why: String) {
        let mut failure = self.failure.lock().expect("failure lock");
        if failure.is_none() {
            tracing::debug!(%why, "adapter protocol failure");
            *failure = Some(why);
        }
        let _ = self.child.kill();
    }

    /// Sends `request` and reads its answer, checked against the schema's `kind`.
    /// `None` once the adapter has left the protocol (see [`Process::fail`]).
    async fn request(
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
        let op = request["op"].as_str().unwrap_or("?").to_string();
        let what = format!("`{op}` (request {id})");
        let sent = self
            .stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .and(self.stdin.flush().await);
        if let Err(e) = sent {
            let status = self.child.try_wait().ok().flatten();
            self.fail(format!(
                "adapter protocol: cannot send {what}: {e} (the adapter exited: {status:?})"
            ));
            return None;
        }
        let line = match tokio::time::timeout(answer_timeout, self.stdout.next_line()).await {
            Err(_) => {
                self.fail(format!(
                    "adapter protocol: no answer to {what} within {answer_timeout:?}; the adapter was killed"
                ));
                return None;
            }
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => {
                let status = self.child.wait().ok();
                self.fail(format!(
                    "adapter protocol: the adapter exited while handling {what} ({status:?})"
                ));
                return None;
            }
            Ok(Err(e)) => {
                self.fail(format!(
                    "adapter protocol: reading the answer to {what}: {e}"
                ));
                return None;
            }
        };
        let answer: Value = match serde_json::from_str(&line) {
            Ok(answer) => answer,
            Err(e) => {
                self.fail(format!(
                    "adapter protocol: the answer to {what} is not JSON ({e}; anything but protocol lines on stdout breaks the protocol: log to stderr): {}",
                    shorten(&line, LINE_SHOWN)
                ));
                return None;
            }
        };
        if answer["id"] != json!(id) {
            self.fail(format!(
                "adapter protocol: the answer to {what} carries `id` {} (answers come in order, each with its request's id)",
                answer["id"]
            ));
            return None;
        }
        if answer["ok"] == json!(false) {
            let refused = match check_written("refusal", &answer, &line) {
                Ok(()) => format!("refused it: {}", answer["error"]),
                Err(wrong) => format!("refused it with a malformed refusal {wrong}"),
            };
            self.fail(format!("adapter protocol: the adapter {refused} ({what})"));
            return None;
        }
        if let Err(wrong) = check_written(kind, &answer, &line) {
            self.fail(format!(
                "adapter protocol: the answer to {what} is wrong {wrong}"
            ));
            return None;
        }
        Some(answer)
    }
}

/// The least time an adapter has to start and greet, whatever its answer timeout:
/// starting a process (an interpreter, a virtual machine) on a busy machine can take
/// longer than answering one request.
const GREETING_FLOOR: Duration = Duration::from_secs(10);

/// How much of a line outside the protocol a message quotes, in characters.
const LINE_SHOWN: usize = 200;

/// What `create` carries in place of a `.wat` file that does not parse: a binary with a
/// valid header and one section of the unknown id 0x7f (the catalogue's
/// `unknown-section-id`), which LC-START-4 makes `validation_failed`, reason `malformed`,
/// at stage `validate`: what the reference runtime answers for such a file.
pub const MALFORMED_IN_PLACE_OF_TEXT: &[u8] = b"\0asm\x01\0\0\0\x7f\x00";

/// A module as `create` carries it, by the one rule of ADAPTER.md ("Modules"): the kit
/// compiles text, so an adapter only ever sees binaries. Bytes go as `module_hex`; a
/// `.wat` file (by its extension, [`lifecycle_contract::source::is_wat`], as the reference
/// runtime reads it) is read and compiled here and goes as `module_hex` too; any other
/// file goes as `module_path`, for the runtime to load. A `.wat` file that cannot be read
/// goes as `module_path` (the runtime finds nothing there either: `component_not_found`);
/// one that does not parse goes as [`MALFORMED_IN_PLACE_OF_TEXT`], with a note saying so.
struct Carried {
    key: &'static str,
    value: Value,
    /// For the trace: why the module sent is not the file's.
    note: Option<Event>,
}

impl Carried {
    fn of(module: &ModuleSource) -> Carried {
        let hex_of = |bytes: &[u8]| Carried {
            key: "module_hex",
            value: json!(hex(bytes)),
            note: None,
        };
        let path = match module {
            ModuleSource::Bytes(bytes) => return hex_of(bytes),
            ModuleSource::File(path) => path,
        };
        let by_path = Carried {
            key: "module_path",
            value: json!(path.to_string_lossy()),
            note: None,
        };
        if !is_wat(path) {
            return by_path;
        }
        let Ok(text) = std::fs::read(path) else {
            return by_path;
        };
        match wat::parse_bytes(&text) {
            Ok(binary) => hex_of(&binary),
            Err(e) => Carried {
                note: Some(Event::Reported {
                    text: format!(
                        "{} is not valid WAT ({}): the adapter was sent a malformed binary in its place",
                        path.display(),
                        crate::one_line::wat_error(&e)
                    ),
                }),
                ..hex_of(MALFORMED_IN_PLACE_OF_TEXT)
            },
        }
    }
}

/// A runtime behind an adapter process.
pub struct Adapter {
    process: Arc<tokio::sync::Mutex<Process>>,
    failure: Failure,
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
        let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
            let _ = child.kill();
            return Err("the adapter's standard input and output are not piped".into());
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
        let fail = |mut child: std::process::Child, why: String| {
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
            Ok(_) => return fail(child, "the adapter exited before its handshake".into()),
            Err(_) => {
                return fail(
                    child,
                    format!("no handshake from the adapter within {greeting_timeout:?}"),
                );
            }
        };
        let hello: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                return fail(
                    child,
                    format!(
                        "the handshake is not JSON: {e}: {}",
                        shorten(line.trim_end(), LINE_SHOWN)
                    ),
                );
            }
        };
        if hello["protocol"] != PROTOCOL {
            return fail(
                child,
                format!(
                    "the adapter speaks {}, not {PROTOCOL} (see ADAPTER.md)",
                    hello["protocol"]
                ),
            );
        }
        if let Err(wrong) = check_written("handshake", &hello, &line) {
            return fail(child, format!("the handshake is wrong {wrong}"));
        }
        let capabilities: Capabilities = match serde_json::from_value(hello["capabilities"].clone())
        {
            Ok(c) => c,
            Err(e) => return fail(child, format!("the handshake's capabilities: {e}")),
        };
        let stdin = tokio::process::ChildStdin::from_std(stdin).map_err(|e| e.to_string())?;
        let stdout = tokio::process::ChildStdout::from_std(stdout).map_err(|e| e.to_string())?;
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

pub struct AdapterComponent {
    process: Arc<tokio::sync::Mutex<Process>>,
    /// How long an answer may take beyond the limit its operation runs under.
    answer_timeout: Duration,
    limits: Limits,
    id: String,
    /// The `create` request, sent with the first request about this component.
    pending: Option<Value>,
    state: State,
    events: Vec<Event>,
}

impl AdapterComponent {
    /// One request, checked against the schema's `kind`, answered within the answer
    /// timeout after `limit` (the time the operation may run in the guest).
    async fn request(&self, request: Value, kind: &str, limit: Duration) -> Option<Value> {
        let mut process = self.process.lock().await;
        process
            .request(request, kind, self.answer_timeout.saturating_add(limit))
            .await
    }

    /// Creates the component on the adapter on first use.
    async fn created(&mut self) -> Option<String> {
        if let Some(create) = self.pending.take() {
            self.request(create, "done_answer", Duration::ZERO).await?;
        }
        Some(self.id.clone())
    }

    /// An operation that may run guest code for up to `limit`: its outcome, events and
    /// state from the answer. `None` when the adapter left the protocol.
    async fn operate(&mut self, op: &str, mut request: Value, limit: Duration) -> Option<Outcome> {
        let id = self.created().await?;
        request["op"] = json!(op);
        request["component"] = json!(id);
        let answer = self
            .request(request, &format!("{op}_answer"), limit)
            .await?;
        let outcome = match Outcome::from_json(&answer["outcome"]) {
            Ok(outcome) => outcome,
            Err(e) => {
                let mut process = self.process.lock().await;
                process.fail(format!(
                    "adapter protocol: the answer to `{op}` has an outcome the suite cannot read: {e}"
                ));
                return None;
            }
        };
        self.events.extend(
            answer["events"]
                .as_array()
                .into_iter()
                .flatten()
                .map(event_from),
        );
        if let Ok(state) = serde_json::from_value(answer["state"].clone()) {
            self.state = state;
        }
        Some(outcome)
    }

    /// What an operation returns once the adapter left the protocol: never judged (the
    /// runner asks [`Subject::failure`] first), only a value of the right type.
    fn unanswered(&self, stage: Stage) -> Error {
        Error::new(stage, Fault::InvalidState { state: self.state })
            .with_detail("the adapter left the protocol")
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

    fn component(
        &self,
        module: ModuleSource,
        profile: Profile,
        limits: Limits,
    ) -> AdapterComponent {
        let id = format!(
            "c{}",
            self.next_component.fetch_add(1, Ordering::SeqCst) + 1
        );
        let mut create = json!({"op": "create", "component": id, "profile": profile.as_str(), "limits": limits.to_json()});
        let carried = Carried::of(&module);
        create[carried.key] = carried.value;
        AdapterComponent {
            process: self.process.clone(),
            answer_timeout: self.answer_timeout,
            limits,
            id,
            // Sent lazily, with the first operation: `component` is not async.
            pending: Some(create),
            state: State::Creating,
            // Reported with the first operation's events.
            events: carried.note.into_iter().collect(),
        }
    }

    async fn counters(&self) -> Counters {
        let answer = {
            let mut process = self.process.lock().await;
            process
                .request(
                    json!({"op": "counters"}),
                    "counters_answer",
                    self.answer_timeout,
                )
                .await
        };
        let Some(answer) = answer else {
            return Counters::default();
        };
        let count = |key: &str| answer[key].as_u64();
        if self.capabilities.compilations && count("compilations").is_none() {
            let mut process = self.process.lock().await;
            process.fail(
                "adapter protocol: the answer to `counters` has no `compilations`, which the handshake declares".into(),
            );
        }
        Counters {
            live_instances: count("live_instances").unwrap_or_default() as usize,
            accounted_memory_bytes: count("accounted_memory_bytes").unwrap_or_default(),
            compilations: count("compilations"),
        }
    }

    fn failure(&self) -> Option<String> {
        self.failure.lock().expect("failure lock").clone()
    }
}

impl SubjectComponent for AdapterComponent {
    async fn start(&mut self) -> Result<(), Error> {
        let limit = self.limits.start_timeout;
        match self.operate("start", json!({}), limit).await {
            Some(Outcome::Start(r)) => r,
            _ => Err(self.unanswered(Stage::Load)),
        }
    }

    async fn handle_message(&mut self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let request = json!({"message_hex": hex(message)});
        let limit = self.limits.call_timeout;
        match self.operate("send", request, limit).await {
            Some(Outcome::Message { reply, .. }) => reply,
            _ => Err(self.unanswered(Stage::HandleMessage)),
        }
    }

    async fn health_check(&mut self) -> Health {
        let limit = self.limits.health_timeout;
        match self.operate("health", json!({}), limit).await {
            Some(Outcome::Health(h)) => h,
            _ => Health::for_state(self.state),
        }
    }

    async fn stop(&mut self, timeout: Duration) -> Result<Vec<Warning>, Error> {
        let request = json!({"timeout_ms": timeout.as_millis() as u64});
        match self.operate("stop", request, timeout).await {
            Some(Outcome::Stop(r)) => r,
            _ => Err(self.unanswered(Stage::Cleanup)),
        }
    }

    fn state(&self) -> State {
        self.state
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    async fn dispose(mut self) {
        if let Some(id) = self.created().await {
            self.request(
                json!({"op": "drop", "component": id}),
                "done_answer",
                Duration::ZERO,
            )
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_kind_compiles_and_the_served_shapes_pass() {
        for kind in LINE_KINDS {
            assert!(VALIDATORS.0.contains_key(kind), "{kind}");
        }
        let start = json!({"id": 1, "ok": true, "outcome": {"op": "start", "ok": false,
            "error": {"kind": "bad_export", "stage": "exports", "export": "_health", "reason": "wrong_signature", "detail": "x"}},
            "events": [{"event": "transition", "from": "creating", "to": "starting"},
                       {"event": "guest_call", "export": "_start", "outcome": "trapped", "trap": "unreachable"},
                       {"event": "note", "text": "anything"}],
            "state": "failed"});
        assert_eq!(check_line("start_answer", &start), Ok(()));
    }

    /// A scratch directory of this test process.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("lk-carried-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_kit_compiles_text_so_an_adapter_only_sees_binaries() {
        let dir = scratch("text");
        let text = "(module (func (export \"_start\")))";
        std::fs::write(dir.join("m.wat"), text).unwrap();
        std::fs::write(dir.join("M.WAT"), text).unwrap();
        std::fs::write(dir.join("m.wasm"), text).unwrap();
        let binary = hex(&wat::parse_str(text).unwrap());
        for name in ["m.wat", "M.WAT"] {
            let sent = Carried::of(&ModuleSource::file(dir.join(name)));
            assert_eq!(
                (sent.key, sent.value.as_str()),
                ("module_hex", Some(binary.as_str()))
            );
            assert!(sent.note.is_none());
        }
        // Any other file is the runtime's to load, as it is: never parsed as text.
        let sent = Carried::of(&ModuleSource::file(dir.join("m.wasm")));
        assert_eq!(sent.key, "module_path");
        assert_eq!(sent.value, json!(dir.join("m.wasm").to_string_lossy()));
        // A `.wat` file that is not there is the runtime's `component_not_found`.
        let sent = Carried::of(&ModuleSource::file(dir.join("missing.wat")));
        assert_eq!(sent.key, "module_path");
        let sent = Carried::of(&ModuleSource::bytes(b"(module)".to_vec()));
        assert_eq!(
            (sent.key, sent.value),
            ("module_hex", json!(hex(b"(module)")))
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn text_that_does_not_parse_goes_as_a_malformed_binary_with_a_note() {
        let dir = scratch("bad");
        std::fs::write(dir.join("bad.wat"), "(module (func").unwrap();
        let sent = Carried::of(&ModuleSource::file(dir.join("bad.wat")));
        assert_eq!(sent.key, "module_hex");
        assert_eq!(sent.value, json!(hex(MALFORMED_IN_PLACE_OF_TEXT)));
        let note = sent.note.expect("a note").to_string();
        assert!(
            note.contains("bad.wat is not valid WAT") && !note.contains('\n'),
            "{note}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The stand-in is the catalogue's `unknown-section-id`, a built-in case whose
    /// expectation is what the reference answers for text that does not parse.
    #[test]
    fn the_stand_in_for_bad_text_is_malformed_at_validate() {
        let scenario = lifecycle_generators::find("unknown-section-id").expect("in the catalogue");
        assert_eq!(scenario.bytes(), MALFORMED_IN_PLACE_OF_TEXT);
        let expected = scenario.expected().expect("one outcome");
        let Outcome::Start(Err(error)) = &expected.ops[0].outcome else {
            panic!("{expected:?}");
        };
        assert_eq!(error.stage, Stage::Validate);
        assert_eq!(
            error.fault,
            Fault::ValidationFailed {
                reason: lifecycle_contract::error::ValidationReason::Malformed
            }
        );
        assert!(expected.ops[0].calls.is_empty());
    }

    /// A start answer with `events` of `n` transitions, those at `wrong` with an
    /// unknown state.
    fn events_wrong_at(n: usize, wrong: &[usize]) -> Value {
        let events: Vec<Value> = (0..n)
            .map(|i| {
                let to = if wrong.contains(&i) {
                    "exploded"
                } else {
                    "starting"
                };
                json!({"event": "transition", "from": "creating", "to": to})
            })
            .collect();
        json!({"id": 1, "ok": true, "outcome": {"op": "start", "ok": true},
            "events": events, "state": "ready"})
    }

    #[test]
    fn every_violation_is_reported_on_one_line_the_first_in_document_order_first() {
        let why = check_line("start_answer", &events_wrong_at(2, &[0, 1])).unwrap_err();
        assert!(
            why.starts_with("at `/events/0/to`: \"exploded\" is not one of")
                && why.contains("; and 1 more violation, at `/events/1/to` (see adapter.schema.json, `$defs/start_answer`)"),
            "{why}"
        );
        assert_eq!(why.lines().count(), 1, "{why}");
        // Elements in their order, not their paths' (`/events/10` < `/events/2` as text).
        let why = check_line("start_answer", &events_wrong_at(11, &[10, 2, 7])).unwrap_err();
        assert!(
            why.starts_with("at `/events/2/to`: ")
                && why.contains("; and 2 more violations, at `/events/7/to`, `/events/10/to` ("),
            "{why}"
        );
        // A place before its members: the answer itself (a member missing) comes first.
        let mut answer = events_wrong_at(1, &[0]);
        answer.as_object_mut().unwrap().remove("state");
        let why = check_line("start_answer", &answer).unwrap_err();
        assert!(
            why.starts_with("at `/`: \"state\" is a required property; and 1 more violation, at `/events/0/to` ("),
            "{why}"
        );
    }

    #[test]
    fn document_order_is_the_order_the_adapter_wrote() {
        // Wrong at `/state` and at `/events/0/to`, `state` written first.
        let text = r#"{"state": "exploded", "id": 1, "ok": true, "outcome": {"op": "start", "ok": true}, "events": [{"event": "transition", "from": "creating", "to": "exploded"}]}"#;
        let line: Value = serde_json::from_str(text).unwrap();
        let why = check_written("start_answer", &line, text).unwrap_err();
        assert!(
            why.starts_with("at `/state`: ")
                && why.contains("1 more violation, at `/events/0/to` ("),
            "{why}"
        );
        // Without the text, the value's own order: its members sorted by name.
        let why = check_line("start_answer", &line).unwrap_err();
        assert!(why.starts_with("at `/events/0/to`: "), "{why}");
    }

    #[test]
    fn written_positions_order_places() {
        let text = r#"{"b": [1, {"z": 1, "a": 2}], "a": 3, "b": [4, {"z": 5}]}"#;
        let written: Written = serde_json::from_str(text).unwrap();
        let at = |p: &str| {
            let location: jsonschema::paths::Location = p
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| jsonschema::paths::LocationSegment::Property(s.to_string().into()))
                .collect();
            written.position(&location, None)
        };
        assert_eq!(at(""), Vec::<usize>::new());
        assert_eq!(at("/a"), [1]);
        // A duplicated member is where it was last written (the one a reader keeps).
        assert_eq!(at("/b/1/z"), [2, 1, 0]);
        assert_eq!(at("/missing/x"), [usize::MAX]);
        assert_eq!(at("/b/7"), [2, usize::MAX]);
        assert!(at("/a") < at("/b/0") && at("") < at("/a"));
        // A member named: where it was written in its object.
        let root = jsonschema::paths::Location::new();
        assert_eq!(written.position(&root, Some("a".into())), [1]);
        assert_eq!(written.position(&root, Some("c".into())), [usize::MAX]);
    }

    #[test]
    fn a_member_not_allowed_is_placed_where_it_was_written() {
        // `op` is wrong, and `warnings` (written after it) is not allowed in a start
        // outcome: `op` comes first, though the violation about `warnings` is at
        // `/outcome`, which holds both.
        let text = r#"{"id": 3, "ok": true, "outcome": {"ok": true, "op": "stop", "warnings": []}, "events": [], "state": "ready"}"#;
        let line: Value = serde_json::from_str(text).unwrap();
        let why = check_written("start_answer", &line, text).unwrap_err();
        assert!(
            why.starts_with("at `/outcome/op`: ")
                && why.contains("; and 1 more violation, at `/outcome` ("),
            "{why}"
        );
        // Written before `op`, it comes first.
        let text = r#"{"id": 3, "ok": true, "outcome": {"warnings": [], "ok": true, "op": "stop"}, "events": [], "state": "ready"}"#;
        let why = check_written("start_answer", &line, text).unwrap_err();
        assert!(
            why.starts_with("at `/outcome`: \"warnings\" is not one of"),
            "{why}"
        );
    }

    #[test]
    fn one_violation_keeps_its_one_line_format() {
        let huge = json!({"id": 1, "ok": true, "live_instances": 1, "accounted_memory_bytes": -1});
        assert_eq!(
            check_line("counters_answer", &huge).unwrap_err(),
            "at `/accounted_memory_bytes`: -1 is less than the minimum of 0 (see adapter.schema.json, `$defs/counters_answer`)"
        );
    }

    #[test]
    fn a_violation_names_the_field_and_what_was_expected() {
        let wrong = json!({"id": 1, "ok": true, "outcome": {"op": "start", "ok": false,
            "error": {"kind": "exploded", "stage": "_start"}}, "events": [], "state": "failed"});
        let why = check_line("start_answer", &wrong).unwrap_err();
        assert!(
            why.contains("/outcome/error/kind") && why.contains("exploded"),
            "{why}"
        );
        let missing = json!({"id": 1, "ok": true, "outcome": {"op": "message", "ok": true,
            "message_hex": "68"}, "events": [], "state": "ready"});
        let why = check_line("send_answer", &missing).unwrap_err();
        assert!(why.contains("/outcome"), "{why}");
        let huge = json!({"id": 1, "ok": true, "live_instances": 1, "accounted_memory_bytes": -1});
        let why = check_line("counters_answer", &huge).unwrap_err();
        assert!(why.contains("/accounted_memory_bytes"), "{why}");
        let error_kind = json!({"id": 1, "ok": true, "outcome": {"op": "start", "ok": false,
            "error": {"kind": "trapped", "stage": "_start"}}, "events": [], "state": "failed"});
        assert!(check_line("start_answer", &error_kind).is_err());
    }
}
