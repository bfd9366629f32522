//! The generator catalogue against two independent judges: wasmparser (is each module
//! valid, or invalid for the intended reason?) and the reference runtime (does its trace
//! match the oracle's expectation exactly?).

use crate::common::scenario_summary;
use lifecycle_contract::Outcome;
use lifecycle_generators::catalogue::catalogue;
use lifecycle_generators::scenario::{Module, Scenario};
use lifecycle_runtime::error::ValidationReason;
use lifecycle_runtime::profile::all_standard_features;
use lifecycle_runtime::{ErrorKind, Fault, Runtime};
use std::collections::HashSet;
use wasmparser::{Validator, WasmFeatures};

fn start_error(s: &Scenario) -> Option<lifecycle_runtime::Error> {
    match &s.expected_any().unwrap()[0].ops[0].outcome {
        Outcome::Start(Err(e)) => Some(e.clone()),
        _ => None,
    }
}

#[test]
fn the_catalogue_is_large_named_and_unambiguous() {
    let all = catalogue();
    assert!(all.len() >= 120, "only {} scenarios", all.len());
    let mut names = HashSet::new();
    for s in &all {
        assert!(names.insert(s.name.clone()), "duplicate name {}", s.name);
        let kebab = s
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        assert!(
            kebab && !s.name.starts_with('-') && !s.name.contains("--"),
            "not kebab-case: {}",
            s.name
        );
        assert!(!s.description.is_empty());
        let outcomes = s
            .expected_any()
            .unwrap_or_else(|e| panic!("{}: {e}", s.name));
        // Only the start ladder leaves the outcome to the engine's fuel cost (both burns
        // fit, or the first runs out), and only the lingering loops under unlimited fuel
        // to the machine's speed (the linger returns, or its deadline passes first).
        let decided_by_cost_or_speed = s.name.starts_with("start-section-and-start-burn-")
            || [
                "start-section-lingers-then-start-loops",
                "alloc-lingers-then-handle-message-loops",
                "unlimited-fuel-is-unlimited",
            ]
            .contains(&s.name.as_str());
        match decided_by_cost_or_speed {
            false => assert_eq!(outcomes.len(), 1, "{}: one outcome", s.name),
            true => assert!(outcomes.len() <= 2, "{}: {outcomes:?}", s.name),
        }
        for m in &s.script.messages {
            assert!(
                std::str::from_utf8(m).is_ok(),
                "{}: messages are text for `trace --send`",
                s.name
            );
        }
    }
}

#[test]
fn every_module_is_valid_or_invalid_for_the_intended_reason() {
    for s in catalogue() {
        let bytes = s.bytes();
        // A component's core modules are validated under the profile.
        let model = match s.abi {
            lifecycle_contract::Abi::Core => WasmFeatures::empty(),
            lifecycle_contract::Abi::Component => WasmFeatures::COMPONENT_MODEL,
        };
        let validate =
            |features| Validator::new_with_features(features | model).validate_all(&bytes);
        let under_profile = validate(s.profile.features());
        let under_all = validate(all_standard_features());
        let header: &[u8] = match s.abi {
            lifecycle_contract::Abi::Core => b"\0asm\x01\0\0\0",
            lifecycle_contract::Abi::Component => b"\0asm\x0d\0\x01\0",
        };
        let reason = match start_error(&s).map(|e| e.fault) {
            Some(Fault::ValidationFailed { reason }) => Some(reason),
            _ => None,
        };
        match reason {
            None => assert!(
                under_profile.is_ok(),
                "{} should be valid under {}: {:?}",
                s.name,
                s.profile,
                under_profile.err()
            ),
            Some(ValidationReason::UnsupportedFeature) => {
                assert!(
                    under_profile.is_err() && under_all.is_ok(),
                    "{}: not exactly an unsupported feature",
                    s.name
                );
            }
            Some(ValidationReason::Malformed) => {
                assert!(under_all.is_err(), "{} should be malformed", s.name)
            }
            Some(ValidationReason::BadMagic) => {
                assert!(
                    bytes.len() < 8 || bytes[..8] != *header,
                    "{}: the header is fine",
                    s.name
                );
            }
        }
        if let Module::Spec(_) = s.module {
            assert!(
                s.wat().is_some() || reason.is_some(),
                "{}: wasmprinter prints every valid module",
                s.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_runtime_matches_every_expectation() {
    let runtime = Runtime::new().unwrap();
    let mut mismatches = Vec::new();
    let mut kinds = HashSet::new();
    for s in catalogue() {
        let conforming = s.expected_any().unwrap();
        let got = scenario_summary(&runtime, &s, (s.bytes(), s.abi)).await;
        if !conforming.contains(&got) {
            mismatches.push(format!(
                "{} ({}):\n  expected {}\n  got      {}\n  repro: {}",
                s.name,
                s.description,
                conforming[0].to_json(),
                got.to_json(),
                s.repro()
            ));
        }
        for op in conforming.iter().flat_map(|e| e.outcomes()) {
            if let Some(e) = op.error() {
                kinds.insert(e.kind());
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // Every kind a generated module can provoke is provoked by some scenario.
    for kind in ErrorKind::ALL {
        let unreachable_by_modules = matches!(
            kind,
            ErrorKind::ComponentNotFound | ErrorKind::LoadFailed | ErrorKind::EngineInitialization
        );
        assert!(
            kinds.contains(&kind) || unreachable_by_modules,
            "no scenario provokes {kind}"
        );
    }
}
