//! The corpus: each minimal failure as a ready case file (`DIR/ID.toml`, the module
//! inline as text, the expectation written out), which `lifecycle-kit run --cases FILE`
//! runs alone and `fuzz --corpus DIR` replays before it draws anything new.

use super::signature::Signature;
use crate::Case;
use crate::case::CaseError;
use lifecycle_contract::limits::DEFAULT_STOP_TIMEOUT;
use lifecycle_contract::{Abi, Limits, Profile, Step, Summary};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What a corpus case holds besides its module.
pub struct Entry<'a> {
    pub id: &'a str,
    pub signature: &'a Signature,
    /// Comment lines: how it was found, and how much it shrank.
    pub notes: &'a [String],
    pub profile: Profile,
    /// The module's ABI: a component's case says `abi = "component"`.
    pub abi: Abi,
    pub limits: &'a Limits,
    pub steps: &'a [Step],
    pub cycles: u32,
    pub bytes: &'a [u8],
    /// The outcome it must show, with the memory after each step; `None`: the
    /// invariants of every run only.
    pub expected: Option<(&'a Summary, Option<&'a [u64]>)>,
}

/// A shape's id: `fuzz-` and a stable hash of what the case is and how it fails, so that
/// the same minimal failure found twice, in one run or two, is one file.
pub fn id(signature: &Signature, bytes: &[u8], rest: &str) -> String {
    let hash = crate::hash::StableHash::new()
        .feed(bytes)
        .feed(format!("{signature}|{rest}").as_bytes())
        .finish();
    format!("fuzz-{hash:016x}")
}

/// The path `id` has in `dir`.
pub fn path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.toml"))
}

/// Writes a case file's `text` as `DIR/ID.toml`, whole or not at all (written aside,
/// then renamed), creating `dir` if needed.
pub fn write_text(dir: &Path, id: &str, text: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = path(dir, id);
    let aside = dir.join(format!(".{id}.toml.{}", std::process::id()));
    std::fs::write(&aside, text)
        .and_then(|()| std::fs::rename(&aside, &path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&aside);
        })?;
    Ok(path)
}

/// Every case in the corpus `dir`, in file order; an empty list if `dir` does not exist
/// yet. A file that cannot be used is an error naming it.
pub fn load(dir: &Path) -> Result<Vec<Case>, CaseError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    crate::case::load_files(&crate::case::toml_files(dir)?)
}

fn invalid(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The case file's text.
pub fn text(entry: &Entry, repro: &str) -> std::io::Result<String> {
    let mut case = toml::Table::new();
    let mut put = |k: &str, v: toml::Value| {
        case.insert(k.into(), v);
    };
    put("id", entry.id.into());
    // The clause it was filed under; a failure that names none (a panic, a watchdog)
    // checks the transitions as every generated case does.
    let clause = match entry.signature.clause.starts_with("LC-") {
        true => entry.signature.clause.as_str(),
        false => crate::case::GENERATED,
    };
    put("clauses", vec![toml::Value::from(clause)].into());
    put(
        "description",
        format!("found by lifecycle-kit fuzz: {}", entry.signature).into(),
    );
    put("profile", entry.profile.to_string().into());
    if entry.abi != Abi::Core {
        put("abi", entry.abi.to_string().into());
    }
    put(
        "limits",
        to_toml(&entry.limits.to_json()).ok_or_else(|| invalid("limits"))?,
    );
    put(
        "steps",
        toml::Value::Array(entry.steps.iter().map(step).collect()),
    );
    if entry.cycles > 1 {
        put("cycles", i64::from(entry.cycles).into());
    }
    match entry.expected {
        None => put("invariants", true.into()),
        Some((summary, memory)) => {
            let json = summary.to_json();
            let mut expect = toml::Table::new();
            for key in ["final_state", "transitions", "ops"] {
                let value = to_toml(&json[key]).ok_or_else(|| invalid(key))?;
                expect.insert(key.into(), value);
            }
            if let Some(memory) = memory {
                let values = memory
                    .iter()
                    .map(|m| toml::Value::from(*m as i64))
                    .collect();
                expect.insert("memory_after".into(), toml::Value::Array(values));
            }
            put("expect", toml::Value::Table(expect));
        }
    }
    let wat = wasmprinter::print_bytes(entry.bytes).map_err(invalid)?;
    if wat.contains("'''") {
        return Err(invalid("the module's text holds `'''`"));
    }
    let mut doc = toml::Table::new();
    doc.insert(
        "case".into(),
        toml::Value::Array(vec![toml::Value::Table(case)]),
    );
    let body = toml::to_string(&doc).map_err(invalid)?;
    // The module goes right under `[[case]]`, before any sub-table takes the keys after it.
    let (head, rest) = body
        .split_once("[[case]]\n")
        .ok_or_else(|| invalid("no [[case]] table"))?;
    let mut out = String::new();
    for note in entry.notes {
        out += &format!("# {note}\n");
    }
    out += &format!("# Fails: {}\n# Reproduce: {repro}\n", entry.signature);
    out += head;
    out += "[[case]]\n";
    out += &format!("wat = '''\n{}'''\n", wat.trim_end().to_string() + "\n");
    out += rest;
    Ok(out)
}

/// A step as case files write it.
fn step(s: &Step) -> toml::Value {
    let table = |k: &str, v: toml::Value| {
        let mut t = toml::Table::new();
        t.insert(k.into(), v);
        toml::Value::Table(t)
    };
    match s {
        Step::Start => "start".into(),
        Step::Health => "health".into(),
        Step::Stop(t) if *t == DEFAULT_STOP_TIMEOUT => "stop".into(),
        Step::Stop(t) => table("stop_ms", (t.as_millis() as i64).into()),
        Step::Send(m) => table("send", String::from_utf8_lossy(m).into_owned().into()),
    }
}

/// JSON as TOML: objects without their null members (TOML has no null; every reader of
/// these files takes a missing key for null).
fn to_toml(v: &Value) -> Option<toml::Value> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64()?.into(),
        },
        Value::String(s) => s.clone().into(),
        Value::Array(a) => toml::Value::Array(a.iter().filter_map(to_toml).collect()),
        Value::Object(o) => toml::Value::Table(
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), to_toml(v)?)))
                .collect(),
        ),
    })
}
