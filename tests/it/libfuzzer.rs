//! `lifecycle-kit fuzz --import CRASH` and `--libfuzzer-inputs DIR`, the command line's
//! side of the libFuzzer targets (fuzz/): the loop's draws written as the targets'
//! inputs, and such an input, one that fails on a mutant as a crash would, imported as a
//! corpus case whose reproduce line fails on the mutant and passes on the reference
//! runtime. The bad crash files are rows of bad_input.rs.

use crate::common::kit;
use lifecycle_conformance::fuzz::input::{Target, loop_bytes};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lifecycle-kit-libfuzzer-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    all.sort();
    all
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_crash_on_a_mutant_imports_as_a_case_that_fails_on_it_and_passes_on_the_reference() {
    let dir = scratch("import");
    let inputs = dir.join("inputs");
    let mutant = "faulty:start-in-any-state";
    // The loop on the mutant, writing what it draws as the targets' inputs.
    let out = kit(&[
        "fuzz",
        "--runtime",
        mutant,
        "--cases",
        "10",
        "--json",
        "--libfuzzer-inputs",
        inputs.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let trial = &report["found"][0]["trial"];
    let (index, seed) = (trial[0].as_u64().unwrap(), trial[1].as_u64().unwrap());
    // Every drawn trial is written, as the target that draws it would be given it.
    assert_eq!(
        files(&inputs.join("trial")).len() + files(&inputs.join("smith")).len(),
        10
    );
    let (target, bytes) = loop_bytes(0, index);
    assert_eq!(
        target,
        Target::Trial,
        "the mutant is found by a drawn trial"
    );
    let crash = inputs.join("trial").join(format!("seed-{seed:016x}"));
    assert_eq!(std::fs::read(&crash).unwrap(), bytes);

    // Imported on the mutant: shrunk and written, with its reproduce line.
    let corpus = dir.join("corpus");
    let args = [
        "fuzz",
        "--runtime",
        mutant,
        "--import",
        crash.to_str().unwrap(),
        "--corpus",
        corpus.to_str().unwrap(),
    ];
    let out = kit(&args);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let written = files(&corpus);
    assert_eq!(written.len(), 1, "{said}");
    let case = std::fs::read_to_string(&written[0]).unwrap();
    assert!(
        case.contains("Found by libFuzzer's `trial` target"),
        "{case}"
    );
    let repro = said
        .lines()
        .find_map(|l| l.trim().strip_prefix("reproduce: lifecycle-kit "))
        .unwrap_or_else(|| panic!("no reproduce line:\n{said}"));
    let words: Vec<&str> = repro.split(' ').collect();
    assert_eq!(&words[..3], ["run", "--runtime", mutant], "{repro}");
    let on_mutant = kit(&words);
    assert_eq!(on_mutant.status.code(), Some(1), "{}", text(&on_mutant));
    let mut on_reference = words.clone();
    on_reference[2] = "reference";
    let passes = kit(&on_reference);
    assert_eq!(passes.status.code(), Some(0), "{}", text(&passes));

    // Imported again: the same minimal case, already in the corpus, not written again.
    let again = kit(&args);
    assert!(
        text(&again).contains("already in the corpus"),
        "{}",
        text(&again)
    );
    assert_eq!(files(&corpus), written);

    // On the reference runtime it passes: nothing to import, nothing written.
    let elsewhere = dir.join("elsewhere");
    let out = kit(&[
        "fuzz",
        "--import",
        crash.to_str().unwrap(),
        "--corpus",
        elsewhere.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("nothing to import"), "{}", text(&out));
    assert!(!elsewhere.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_smith_input_is_the_loops_wasm_smith_module_checked_against_the_invariants() {
    let dir = scratch("smith");
    std::fs::create_dir_all(&dir).unwrap();
    // Trial 4 of seed 0 is the loop's first wasm-smith module.
    let (target, bytes) = loop_bytes(0, 4);
    assert_eq!(target, Target::Smith);
    let crash = dir.join("smith-input");
    std::fs::write(&crash, &bytes).unwrap();
    let out = kit(&[
        "fuzz",
        "--fuzz-target",
        "smith",
        "--import",
        crash.to_str().unwrap(),
        "--json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(
        (report["smith_cases"].as_u64(), report["ran"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["imported"], crash.to_str().unwrap());
    // As a `trial` input the same bytes are another thing: a drawn trial.
    let out = kit(&["fuzz", "--import", crash.to_str().unwrap(), "--json"]);
    let _ = std::fs::remove_dir_all(&dir);
    // Over the trial target's 4096 bytes: not one of its inputs.
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("16385 bytes"), "{}", text(&out));
}

/// The fuzz build's rustc wrapper (fuzz/.cargo/config.toml) takes the coverage pass from
/// every crate but the kit's and the targets', and leaves every other flag where it was;
/// a `printf` stands in for rustc, printing the command line it was given.
#[test]
fn the_fuzz_builds_rustc_wrapper_instruments_the_kits_crates_only() {
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/instrument-kit-only.sh");
    let config = std::fs::read_to_string(wrapper.with_file_name(".cargo/config.toml")).unwrap();
    assert!(config.contains("rustc-wrapper = \"./instrument-kit-only.sh\""));
    let rustc = |crate_name: &str, pass: &[&str]| {
        let out = std::process::Command::new(&wrapper)
            .args([
                "printf",
                "%s|",
                "--crate-name",
                crate_name,
                "-Zsanitizer=address",
            ])
            .args(pass)
            .arg("--cfg=fuzzing")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    for pass in [
        &["-Cpasses=sancov-module"][..],
        &["-C", "passes=sancov-module"],
    ] {
        let given = format!(
            "--crate-name|{{}}|-Zsanitizer=address|{}|--cfg=fuzzing|",
            pass.join("|")
        );
        for kit_crate in [
            "lifecycle_runtime",
            "lifecycle_generators",
            "trial",
            "smith",
        ] {
            assert_eq!(rustc(kit_crate, pass), given.replace("{}", kit_crate));
        }
        for other in ["wasmtime", "cranelift_codegen", "wasm_smith"] {
            assert_eq!(
                rustc(other, pass),
                format!("--crate-name|{other}|-Zsanitizer=address|--cfg=fuzzing|")
            );
        }
    }
    // A query without a crate (`rustc -vV`) passes as it is.
    let out = std::process::Command::new(&wrapper)
        .args(["printf", "%s|", "-vV"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "-vV|");
}
