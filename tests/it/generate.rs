//! `lifecycle-kit gen`: its files, their round trip through `trace`, determinism of the
//! seeded families, reproduction from a name, bad input, and the wasm-smith family.

use crate::common::kit;
use lifecycle_conformance::ModuleSource;
use lifecycle_conformance::drive;
use lifecycle_generators::catalogue::catalogue;
use lifecycle_generators::{invariants, random};
use lifecycle_runtime::{Limits, Profile, Runtime};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lk-gen-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn gen_into(dir: &Path, args: &[&str]) {
    let mut all = vec!["gen"];
    all.extend_from_slice(args);
    all.extend(["--out", dir.to_str().unwrap()]);
    let out = kit(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The parts of a trace an expectation fixes: no events, no details.
fn comparable(v: &Value) -> Value {
    let mut ops = v["ops"].clone();
    for op in ops.as_array_mut().unwrap() {
        let op = op.as_object_mut().unwrap();
        op.remove("events");
        op.remove("held");
        if let Some(e) = op.get_mut("error") {
            e.as_object_mut().unwrap().remove("detail");
        }
    }
    serde_json::json!({
        "final_state": v["final_state"], "transitions": v["transitions"], "ops": ops,
        "live_instances": v["live_instances"], "accounted_memory_bytes": v["accounted_memory_bytes"],
    })
}

#[test]
fn gen_all_round_trips_through_trace() {
    let dir = temp_dir("all");
    gen_into(&dir, &["--all"]);
    let scenarios = catalogue();
    let names: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    // Replay each written module with the flags in its expectation, in two threads.
    let mismatches: Vec<String> = std::thread::scope(|scope| {
        let halves: Vec<_> = scenarios
            .chunks(scenarios.len().div_ceil(2))
            .map(|chunk| {
                let dir = &dir;
                scope.spawn(move || {
                    let mut bad = Vec::new();
                    for s in chunk {
                        let wasm = dir.join(format!("{}.wasm", s.name));
                        let expected: Value = serde_json::from_slice(
                            &std::fs::read(dir.join(format!("{}.json", s.name))).unwrap(),
                        )
                        .unwrap();
                        let mut args =
                            vec!["trace".to_string(), wasm.to_str().unwrap().to_string()];
                        args.extend(s.trace_flags());
                        args.push("--json".into());
                        let out = kit(&args.iter().map(String::as_str).collect::<Vec<_>>());
                        assert!(out.status.success(), "{}", s.name);
                        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
                        // `any_of` where the engine's fuel cost decides.
                        let conforming: Vec<Value> = match expected["any_of"].as_array() {
                            Some(all) => all.iter().map(comparable).collect(),
                            None => vec![comparable(&expected)],
                        };
                        if !conforming.contains(&comparable(&got)) {
                            bad.push(format!(
                                "{}: expected {}\n got {}",
                                s.name,
                                comparable(&expected),
                                comparable(&got)
                            ));
                        }
                        assert_eq!(expected["repro"].as_str().unwrap(), s.repro());
                    }
                    bad
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    for name in &names {
        assert!(
            dir.join(format!("{name}.wasm")).is_file()
                && dir.join(format!("{name}.json")).is_file(),
            "{name}"
        );
    }
    let wat = names
        .iter()
        .filter(|n| dir.join(format!("{n}.wat")).is_file())
        .count();
    assert!(wat > 150, "only {wat} modules printed as WAT");
    assert!(
        !dir.join("empty-binary.wat").exists(),
        "no WAT for bytes that are not a module"
    );
}

#[test]
fn seeded_generation_is_byte_for_byte_deterministic() {
    let (a, b) = (temp_dir("seed-a"), temp_dir("seed-b"));
    gen_into(&a, &["--random", "42", "--count", "30"]);
    gen_into(&b, &["--random", "42", "--count", "30"]);
    let mut files: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert_eq!(files.len(), 90, "30 scenarios, 3 files each");
    for f in &files {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f:?}"
        );
    }
    let other = random::family(43, 30);
    assert_ne!(
        random::family(42, 30)
            .iter()
            .map(|s| s.bytes())
            .collect::<Vec<_>>(),
        other.iter().map(|s| s.bytes()).collect::<Vec<_>>(),
        "another seed, another family"
    );
}

#[test]
fn a_seeded_case_is_reproduced_from_its_name_alone() {
    for s in random::family(7, 20) {
        let again = lifecycle_generators::find(&s.name).expect("random-SEED names resolve");
        assert_eq!(again.bytes(), s.bytes(), "{}", s.name);
        assert_eq!(
            again.expected().unwrap(),
            s.expected().unwrap(),
            "{}",
            s.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_family_matches_the_reference_runtime() {
    let runtime = Runtime::new().unwrap();
    for s in random::family(2026, 150) {
        assert_eq!(
            crate::common::scenario_summary(&runtime, &s, (s.bytes(), s.abi)).await,
            s.expected().unwrap(),
            "{}: {}",
            s.name,
            s.repro()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smith_modules_keep_every_invariant() {
    let runtime = Runtime::new().unwrap();
    let limits = Limits {
        start_timeout: Duration::from_millis(500),
        call_timeout: Duration::from_millis(200),
        health_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let script = lifecycle_contract::Script {
        messages: vec![b"one".to_vec(), b"two".to_vec()],
        health: true,
        stop_timeout: Duration::from_millis(200),
    };
    let mut started = 0;
    for seed in 0..60u64 {
        let terminating = seed % 2 == 0;
        let bytes = random::smith_module(seed, terminating);
        assert_eq!(
            bytes,
            random::smith_module(seed, terminating),
            "seed {seed} is deterministic"
        );
        let module = ModuleSource::Bytes(bytes.into());
        let t = drive::script(
            &runtime,
            module,
            lifecycle_contract::Abi::Core,
            Profile::default(),
            limits.clone(),
            &script,
        )
        .await
        .unwrap();
        let summary = t.summary();
        invariants::check(&summary)
            .unwrap_or_else(|e| panic!("smith seed {seed}: {e}: {}", summary.to_json()));
        if let lifecycle_contract::Outcome::Start(Err(e)) = &summary.ops[0].outcome {
            let allowed = [
                "trapped",
                "fuel_exhausted",
                "execution_timeout",
                "resource_limit_exceeded",
            ];
            assert!(
                allowed.contains(&e.kind().as_str()),
                "smith seed {seed}: start gave {e}"
            );
        } else {
            started += 1;
        }
    }
    assert!(
        started > 10,
        "only {started} of 60 smith modules started: the family is too hostile to be useful"
    );
}

#[test]
fn bad_names_and_unwritable_directories_get_clear_errors() {
    let out = kit(&["gen", "echo", "no-such-scenario", "--out", "/tmp/lk-never"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("`no-such-scenario`") && !err.contains("`echo`"),
        "{err}"
    );
    assert!(
        !Path::new("/tmp/lk-never").exists(),
        "nothing written when a name is wrong"
    );

    let blocker = temp_dir("blocker");
    std::fs::write(&blocker, b"a file, not a directory").unwrap();
    let out = kit(&["gen", "echo", "--out", blocker.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unwritable --out is bad input"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(blocker.to_str().unwrap()) && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(
        std::fs::read(&blocker).unwrap(),
        b"a file, not a directory",
        "the user's file is untouched"
    );

    let out = kit(&["gen", "echo"]);
    assert_eq!(out.status.code(), Some(2), "--out is required");
}

/// Into a directory that exists, files are added whole (each written beside its place,
/// then renamed) and what was there stays.
#[test]
fn gen_into_an_existing_directory_adds_whole_files() {
    let dir = temp_dir("existing");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mine.txt"), "kept").unwrap();
    std::fs::write(dir.join("echo.wasm"), "replaced").unwrap();
    gen_into(&dir, &["echo", "start-traps-unreachable"]);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    assert!(names.contains(&"mine.txt".to_string()), "{names:?}");
    assert_eq!(
        names.iter().filter(|n| n.starts_with("echo.")).count(),
        3,
        "{names:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("mine.txt")).unwrap(),
        "kept"
    );
    assert!(
        std::fs::read(dir.join("echo.wasm"))
            .unwrap()
            .starts_with(b"\0asm")
    );
}

#[test]
fn gen_list_prints_the_catalogue() {
    let out = kit(&["gen", "--list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), catalogue().len());
    assert!(
        text.lines()
            .any(|l| l.starts_with("second-message-traps ") && l.contains("§3 message ABI"))
    );
}
