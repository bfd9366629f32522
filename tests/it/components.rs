//! The component ABI (SPEC.md §8) on the reference runtime, one behaviour at a time:
//! generator specs wrapped into components of the world `actor` and run through the one
//! lifecycle.

use lifecycle_contract::{Abi, HealthStatus, State};
use lifecycle_generators::canonical;
use lifecycle_generators::spec::{Behaviour, ModuleSpec};
use lifecycle_runtime::{ComponentConfig, ModuleSource, Runtime};
use std::time::Duration;

fn component_of(spec: &ModuleSpec) -> ModuleSource {
    ModuleSource::bytes(canonical::component(spec).expect("the spec has a component form"))
}

fn config() -> ComponentConfig {
    ComponentConfig {
        abi: Abi::Component,
        ..ComponentConfig::default()
    }
}

#[tokio::test]
async fn an_echo_component_replies_with_each_message_and_stops() {
    let runtime = Runtime::new().unwrap();
    let spec = ModuleSpec::actor(Behaviour::Echo).start(Behaviour::Return);
    let mut actor = runtime.component(component_of(&spec), config());
    actor.start().await.expect("starts");
    assert_eq!(actor.handle_message(b"hello").await.unwrap(), b"hello");
    assert_eq!(actor.handle_message(b"").await.unwrap(), b"");
    assert_eq!(actor.health_check().await.status, HealthStatus::Healthy);
    assert_eq!(actor.stop(Duration::from_secs(1)).await.unwrap(), vec![]);
    assert_eq!(actor.state(), State::Terminated);
}

/// Every catalogue scenario with a component form, on the component ABI, against the
/// oracle's outcomes for it: the same behaviours through the other interface.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_runtime_matches_the_oracle_on_every_component_scenario() {
    let runtime = Runtime::new().unwrap();
    let (mut mismatches, mut ran, mut skipped) = (Vec::new(), 0, Vec::new());
    for s in lifecycle_generators::catalogue::catalogue() {
        let (bytes, conforming) = match s.on_component() {
            Ok(form) => form,
            Err(why) => {
                skipped.push(format!("{}: {why}", s.name));
                continue;
            }
        };
        ran += 1;
        let got = crate::common::scenario_summary(&runtime, &s, (bytes, Abi::Component)).await;
        if !conforming.contains(&got) {
            mismatches.push(format!(
                "{} ({}):\n  expected {}\n  got      {}",
                s.name,
                s.description,
                conforming[0].to_json(),
                got.to_json(),
            ));
        }
    }
    eprintln!(
        "{ran} ran, {} skipped:\n{}",
        skipped.len(),
        skipped.join("\n")
    );
    assert!(
        mismatches.is_empty(),
        "{} of {ran} mismatch:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// The Rust guest of `conformance/cases/modules/rust-actor.wasm`, built again from its
/// source by `conformance/guests/build.sh` (cargo, `wit-bindgen`, `wit-component`), passes
/// the same cases: the committed component is what its source makes.
#[test]
#[ignore = "slow tier: builds the Rust guest for wasm32-unknown-unknown (`rustup target add wasm32-unknown-unknown`, done by .ci/run), a minute"]
fn the_rust_guest_built_from_source_passes_its_cases() {
    let dir = tempfile_dir("rust-guest");
    std::fs::create_dir_all(dir.join("modules")).unwrap();
    let built = std::process::Command::new("conformance/guests/build.sh")
        .arg(dir.join("modules/rust-actor.wasm"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("conformance/guests/build.sh runs");
    assert!(
        built.status.success(),
        "the guest does not build (is the wasm32-unknown-unknown target installed?):\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let cases = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/cases/components.toml"
    ))
    .unwrap();
    let rust_cases: Vec<&str> = cases
        .split("\n[[case]]\n")
        .filter(|c| c.contains("modules/rust-actor.wasm"))
        .collect();
    assert_eq!(rust_cases.len(), 2, "the rust-actor cases");
    let file = dir.join("rust-actor.toml");
    std::fs::write(
        &file,
        format!("[[case]]\n{}", rust_cases.join("\n[[case]]\n")),
    )
    .unwrap();
    let (report, code) = crate::common::json_run(&["--cases", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["passed"], 2, "{report:#}");
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lifecycle-kit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
