//! ADAPTER.md and adapter.schema.json agree: every JSON example in the document is a
//! line the schema accepts (handshakes, answers), or limits the suite reads.

use lifecycle_conformance::adapter::check_line;
use lifecycle_contract::Limits;
use serde_json::Value;

const DOC: &str = include_str!("../ADAPTER.md");

/// The ```json blocks of ADAPTER.md, in order.
fn json_examples() -> Vec<Value> {
    let mut examples = Vec::new();
    let mut block: Option<String> = None;
    for line in DOC.lines() {
        match (&mut block, line.trim()) {
            (None, "```json") => block = Some(String::new()),
            (Some(text), "```") => {
                examples.push(
                    serde_json::from_str(text).unwrap_or_else(|e| {
                        panic!("ADAPTER.md example is not JSON ({e}):\n{text}")
                    }),
                );
                block = None;
            }
            (Some(text), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    examples
}

#[test]
fn every_example_in_the_document_is_what_the_schema_accepts() {
    let examples = json_examples();
    assert!(examples.len() >= 3, "{examples:?}");
    let mut kinds = Vec::new();
    for example in &examples {
        let kind = if example.get("protocol").is_some() {
            "handshake".to_string()
        } else if let Some(op) = example["outcome"]["op"].as_str() {
            let request = if op == "message" { "send" } else { op };
            format!("{request}_answer")
        } else if example.get("fuel_per_call").is_some() {
            Limits::from_json(example).unwrap_or_else(|e| panic!("{e}: {example}"));
            "limits".to_string()
        } else {
            panic!("an example of nothing the protocol has: {example}")
        };
        if kind != "limits" {
            check_line(&kind, example).unwrap_or_else(|e| panic!("{kind}: {e}\n{example}"));
        }
        kinds.push(kind);
    }
    for kind in ["handshake", "send_answer", "limits"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "no {kind} example: {kinds:?}"
        );
    }
}

#[test]
fn the_document_names_the_protocol_the_client_speaks() {
    assert!(DOC.contains(lifecycle_conformance::adapter::PROTOCOL));
    // The handshake example declares every capability, as the schema requires.
    let hello = &json_examples()[0];
    for capability in lifecycle_conformance::Capability::ALL {
        assert!(
            hello["capabilities"].get(capability.as_str()).is_some(),
            "{capability}"
        );
    }
}
