//! The protocol's one definition, `conformance/adapter.schema.json`, as checks: every
//! line an adapter writes is checked against the schema's definition of its kind before
//! anything reads it, and a line outside it is one [`SchemaViolation`].
//!
//! Invariant: a violation is reported on one line, the first in document order first
//! (the order the adapter wrote, where its text is known: see `written.rs`), then how
//! many more there are and where.

use super::written::Written;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The protocol's JSON Schema: every kind of line an adapter writes, under `$defs`.
pub const SCHEMA: &str = include_str!("../../adapter.schema.json");

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

/// A line outside the schema's definition `kind`: its first violation in document order,
/// and where the others are.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "at `{place}`: {message}{} (see adapter.schema.json, `$defs/{kind}`)",
    more(.others, .other_places)
)]
pub struct SchemaViolation {
    /// The definition under `$defs` the line was checked against.
    pub kind: String,
    /// Where the first violation is (`/` for the line itself), and what it is.
    pub place: String,
    pub message: String,
    /// How many more violations there are, and their places, each once, in order.
    pub others: usize,
    pub other_places: Vec<String>,
}

/// `; and N more violations, at `/a`, `/b``, or nothing.
fn more(others: &usize, places: &[String]) -> String {
    if *others == 0 {
        return String::new();
    }
    let violations = if *others == 1 {
        "violation"
    } else {
        "violations"
    };
    let places: Vec<String> = places.iter().map(|p| format!("`{p}`")).collect();
    format!("; and {others} more {violations}, at {}", places.join(", "))
}

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
pub fn check_line(kind: &str, line: &Value) -> Result<(), SchemaViolation> {
    check(kind, line, || Written::of(line))
}

/// [`check_line`] for a line as an adapter wrote it, `text`: the first violation is the
/// first in the text.
pub fn check_written(kind: &str, line: &Value, text: &str) -> Result<(), SchemaViolation> {
    check(kind, line, || {
        serde_json::from_str(text).unwrap_or_else(|_| Written::of(line))
    })
}

fn check(
    kind: &str,
    line: &Value,
    written: impl FnOnce() -> Written,
) -> Result<(), SchemaViolation> {
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
    let mut other_places: Vec<String> = Vec::new();
    for e in rest {
        let at = place(e);
        if !other_places.contains(&at) {
            other_places.push(at);
        }
    }
    Err(SchemaViolation {
        kind: kind.to_string(),
        place: place(first),
        message: first.to_string(),
        others: rest.len(),
        other_places,
    })
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
        let why = check_line("start_answer", &events_wrong_at(2, &[0, 1]))
            .unwrap_err()
            .to_string();
        assert!(
            why.starts_with("at `/events/0/to`: \"exploded\" is not one of")
                && why.contains("; and 1 more violation, at `/events/1/to` (see adapter.schema.json, `$defs/start_answer`)"),
            "{why}"
        );
        assert_eq!(why.lines().count(), 1, "{why}");
        // Elements in their order, not their paths' (`/events/10` < `/events/2` as text).
        let why = check_line("start_answer", &events_wrong_at(11, &[10, 2, 7]))
            .unwrap_err()
            .to_string();
        assert!(
            why.starts_with("at `/events/2/to`: ")
                && why.contains("; and 2 more violations, at `/events/7/to`, `/events/10/to` ("),
            "{why}"
        );
        // A place before its members: the answer itself (a member missing) comes first.
        let mut answer = events_wrong_at(1, &[0]);
        answer.as_object_mut().unwrap().remove("state");
        let why = check_line("start_answer", &answer).unwrap_err().to_string();
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
        let why = check_written("start_answer", &line, text)
            .unwrap_err()
            .to_string();
        assert!(
            why.starts_with("at `/state`: ")
                && why.contains("1 more violation, at `/events/0/to` ("),
            "{why}"
        );
        // Without the text, the value's own order: its members sorted by name.
        let why = check_line("start_answer", &line).unwrap_err().to_string();
        assert!(why.starts_with("at `/events/0/to`: "), "{why}");
    }

    #[test]
    fn a_member_not_allowed_is_placed_where_it_was_written() {
        // `op` is wrong, and `warnings` (written after it) is not allowed in a start
        // outcome: `op` comes first, though the violation about `warnings` is at
        // `/outcome`, which holds both.
        let text = r#"{"id": 3, "ok": true, "outcome": {"ok": true, "op": "stop", "warnings": []}, "events": [], "state": "ready"}"#;
        let line: Value = serde_json::from_str(text).unwrap();
        let why = check_written("start_answer", &line, text)
            .unwrap_err()
            .to_string();
        assert!(
            why.starts_with("at `/outcome/op`: ")
                && why.contains("; and 1 more violation, at `/outcome` ("),
            "{why}"
        );
        // Written before `op`, it comes first.
        let text = r#"{"id": 3, "ok": true, "outcome": {"warnings": [], "ok": true, "op": "stop"}, "events": [], "state": "ready"}"#;
        let why = check_written("start_answer", &line, text)
            .unwrap_err()
            .to_string();
        assert!(
            why.starts_with("at `/outcome`: \"warnings\" is not one of"),
            "{why}"
        );
    }

    #[test]
    fn one_violation_keeps_its_one_line_format() {
        let huge = json!({"id": 1, "ok": true, "live_instances": 1, "accounted_memory_bytes": -1});
        assert_eq!(
            check_line("counters_answer", &huge)
                .unwrap_err()
                .to_string(),
            "at `/accounted_memory_bytes`: -1 is less than the minimum of 0 (see adapter.schema.json, `$defs/counters_answer`)"
        );
    }

    #[test]
    fn a_violation_names_the_field_and_what_was_expected() {
        let wrong = json!({"id": 1, "ok": true, "outcome": {"op": "start", "ok": false,
            "error": {"kind": "exploded", "stage": "_start"}}, "events": [], "state": "failed"});
        let why = check_line("start_answer", &wrong).unwrap_err().to_string();
        assert!(
            why.contains("/outcome/error/kind") && why.contains("exploded"),
            "{why}"
        );
        let missing = json!({"id": 1, "ok": true, "outcome": {"op": "message", "ok": true,
            "message_hex": "68"}, "events": [], "state": "ready"});
        let why = check_line("send_answer", &missing).unwrap_err().to_string();
        assert!(why.contains("/outcome"), "{why}");
        let huge = json!({"id": 1, "ok": true, "live_instances": 1, "accounted_memory_bytes": -1});
        let why = check_line("counters_answer", &huge)
            .unwrap_err()
            .to_string();
        assert!(why.contains("/accounted_memory_bytes"), "{why}");
        let error_kind = json!({"id": 1, "ok": true, "outcome": {"op": "start", "ok": false,
            "error": {"kind": "trapped", "stage": "_start"}}, "events": [], "state": "failed"});
        assert!(check_line("start_answer", &error_kind).is_err());
    }
}
