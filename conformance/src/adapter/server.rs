//! The server side of the protocol: any in-process [`Subject`] behind JSON lines, each
//! request read into a [`Step`] that the one driver ([`crate::drive::step`]) performs.
//!
//! Invariant: every request gets exactly one answer line, carrying its `id`; a request
//! the server cannot read is refused (`"ok": false`) with a [`Refusal`] saying why, and
//! the server goes on.

use super::PROTOCOL;
use super::messages::event_json;
use crate::drive::{self, StepRecord};
use crate::subject::{ModuleSource, Subject, SubjectComponent};
use lifecycle_contract::outcome::unhex;
use lifecycle_contract::{Abi, Limits, Profile, Step};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// Why the server refused a request (`"ok": false`, this as its `error`), naming the
/// field at fault.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("`{0}` missing or not a string")]
    NotText(&'static str),
    #[error("`{0}` is not hex")]
    NotHex(&'static str),
    #[error("`create` needs `module_hex` or `module_path`")]
    NoModule,
    /// `profile` names no profile: the contract's words.
    #[error("{0}")]
    Profile(String),
    #[error("`limits` missing")]
    NoLimits,
    /// `limits` cannot be read: the contract's words, naming the limit.
    #[error("{0}")]
    Limits(String),
    /// `abi` names no ABI: the contract's words.
    #[error("{0}")]
    Abi(String),
    #[error("no component `{0}`")]
    NoComponent(String),
    #[error("`timeout_ms` missing")]
    NoTimeout,
    #[error("unknown op `{0}`")]
    UnknownOp(String),
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
                    Err(e) => json!({"ok": false, "error": e.to_string()}),
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
) -> Result<Map<String, Value>, Refusal> {
    let text = |key: &'static str| {
        request
            .get(key)
            .and_then(Value::as_str)
            .ok_or(Refusal::NotText(key))
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
                ModuleSource::Bytes(Arc::from(unhex(h).ok_or(Refusal::NotHex("module_hex"))?))
            }
            (None, Some(p)) => ModuleSource::File(p.into()),
            (None, None) => return Err(Refusal::NoModule),
        };
        let profile = text("profile")?
            .parse::<Profile>()
            .map_err(|e| Refusal::Profile(e.to_string()))?;
        let limits = request.get("limits").ok_or(Refusal::NoLimits)?;
        let limits = Limits::from_json(limits).map_err(|e| Refusal::Limits(e.to_string()))?;
        let abi = match request.get("abi") {
            None => Abi::Core,
            Some(abi) => abi
                .as_str()
                .unwrap_or_default()
                .parse::<Abi>()
                .map_err(|e| Refusal::Abi(e.to_string()))?,
        };
        components.insert(name, subject.component(module, abi, profile, limits));
        return Ok(answer);
    }
    if op == "drop" {
        let component = components
            .remove(&name)
            .ok_or_else(|| Refusal::NoComponent(name.clone()))?;
        component.dispose().await;
        return Ok(answer);
    }
    let component = components
        .get_mut(&name)
        .ok_or_else(|| Refusal::NoComponent(name.clone()))?;
    let step = match op {
        "start" => Step::Start,
        "send" => Step::Send(unhex(text("message_hex")?).ok_or(Refusal::NotHex("message_hex"))?),
        "health" => Step::Health,
        "stop" => {
            let ms = request
                .get("timeout_ms")
                .and_then(Value::as_u64)
                .ok_or(Refusal::NoTimeout)?;
            Step::Stop(Duration::from_millis(ms))
        }
        other => return Err(Refusal::UnknownOp(other.to_string())),
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
