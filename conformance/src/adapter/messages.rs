//! The protocol's messages as the kit writes and reads them: events (transitions and
//! guest calls structured, anything else a note), and modules as `create` carries them.
//!
//! Invariant: an adapter only ever sees binaries: the kit compiles text (ADAPTER.md,
//! "Modules"), and text that does not parse goes as a stand-in the contract judges the
//! way the reference runtime judges that text.

use crate::subject::ModuleSource;
use lifecycle_contract::outcome::hex;
use lifecycle_contract::source::is_wat;
use lifecycle_contract::{Event, GuestCall};
use serde_json::{Value, json};

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
pub(super) fn event_from(v: &Value) -> Event {
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
pub(super) struct Carried {
    pub(super) key: &'static str,
    pub(super) value: Value,
    /// For the trace: why the module sent is not the file's.
    pub(super) note: Option<Event>,
}

impl Carried {
    pub(super) fn of(module: &ModuleSource) -> Carried {
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

#[cfg(test)]
mod tests {
    use super::*;
    use lifecycle_contract::{Fault, Outcome, Stage};

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
}
