//! `lifecycle-kit fuzz` as CI runs it: a bounded run from a fixed seed against the
//! reference runtime and wasmi (and the two compared), and a mutant found, shrunk,
//! written to the corpus, reproduced by its printed command, and reported once when
//! found again.

use crate::common::{KIT, kit};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn report(args: &[&str]) -> (Value, Option<i32>) {
    let out = kit(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "`{}` printed no JSON ({e}):\n{stdout}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code())
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lifecycle-kit-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The case files in `dir`, as the kit finds them.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    lifecycle_conformance::case::toml_files(dir).expect("the corpus is readable")
}

fn assert_clean(args: &[&str], cases: u64) {
    let (r, code) = report(args);
    assert_eq!(r["found"], Value::Array(Vec::new()), "{r:#}");
    assert_eq!(code, Some(0));
    assert_eq!(r["cases"], cases);
    assert_eq!(r["ran"], cases, "every trial ran: {r:#}");
    assert_eq!(r["unsupported"], serde_json::json!({}));
    assert!(r["oracle_cases"].as_u64().unwrap() > 0 && r["smith_cases"].as_u64().unwrap() > 0);
}

/// The reference behind `tests/adapters/state_only.py` with these fault flags.
fn state_only(flags: &str) -> String {
    format!("python3 tests/adapters/state_only.py {flags} {KIT}")
}

#[test]
fn trials_a_runtime_cannot_run_are_counted_unsupported_by_capability_and_fail_when_required() {
    let adapter = state_only("--declares-no-fuel");
    let args = [
        "fuzz",
        "--adapter",
        &adapter,
        "--cases",
        "40",
        "--seed",
        "2026",
    ];
    let (r, code) = report(&[&args[..], &["--json"]].concat());
    assert_eq!(code, Some(0), "{r:#}");
    assert_eq!(r["found"], Value::Array(Vec::new()), "{r:#}");
    let unsupported = r["unsupported"].as_object().unwrap();
    let fuel = unsupported["fuel"].as_u64().unwrap();
    // Every wasm-smith trial (one in five) needs fuel, and so do drawn trials that run out.
    assert!(fuel >= 8, "{r:#}");
    let skipped: u64 = unsupported.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(r["ran"].as_u64().unwrap() + skipped, 40, "{r:#}");
    let out = kit(&[&args[..], &["--require", "fuel"]].concat());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "FAIL {fuel} drawn trial(s) need capability `fuel`, which this run requires (--require)"
        )),
        "{stdout}"
    );
    let last = stdout.lines().last().unwrap();
    assert!(
        last.contains("40 drawn (") && last.contains(&format!("{fuel} need fuel")),
        "the summary shows drawn, ran, unsupported by capability: {last}"
    );
}

/// Fuzzing the runtime whose messages never reach the guest, shrinking each failure for
/// at most `shrink_secs`: each failure found is filed under LC-MSG, and its corpus case,
/// replayed as the user would, has the same first cause.
fn a_fuzz_failure_is_filed_under_the_clause_of_its_first_cause(shrink_secs: &str) {
    let corpus = scratch(&format!("attribution-{shrink_secs}"));
    let adapter = state_only("--messages-never-delivered");
    let (r, code) = report(&[
        "fuzz",
        "--adapter",
        &adapter,
        "--cases",
        "30",
        "--seed",
        "7",
        "--shrink-secs",
        shrink_secs,
        "--corpus",
        corpus.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, Some(1), "{r:#}");
    let found = r["found"].as_array().unwrap();
    assert!(!found.is_empty());
    for f in found {
        let clause = f["signature"]["clause"].as_str().unwrap();
        assert!(clause.starts_with("LC-MSG-"), "{f:#}");
        // Replayed as the user would, the case's own first cause is the same clause.
        let file = f["file"].as_str().unwrap();
        let out = kit(&[
            "run",
            "--adapter",
            &adapter,
            "--cases",
            file,
            "--format",
            "json",
        ]);
        let run: Value = serde_json::from_slice(&out.stdout).unwrap();
        let case = &run["cases"][0];
        assert_eq!(case["first_cause"]["clause"], clause, "{case:#}");
        assert!(
            case["clauses"]
                .as_array()
                .unwrap()
                .contains(&Value::from(clause))
        );
    }
    let _ = std::fs::remove_dir_all(&corpus);
}

/// Each failure's shrink cut short: the cases filed are less shrunk, not filed otherwise.
#[test]
fn a_fuzz_failure_shrunk_briefly_is_filed_under_the_clause_of_its_first_cause() {
    a_fuzz_failure_is_filed_under_the_clause_of_its_first_cause("2");
}

#[test]
#[ignore = "slow tier: shrinks each failure for up to 10 s through a Python proxy adapter; the default tier shrinks for 2 s"]
fn a_fuzz_failure_shrunk_at_length_is_filed_under_the_clause_of_its_first_cause() {
    a_fuzz_failure_is_filed_under_the_clause_of_its_first_cause("10");
}

#[test]
fn a_bounded_run_against_the_reference_runtime_is_clean() {
    assert_clean(
        &[
            "fuzz",
            "--runtime",
            "reference",
            "--cases",
            "300",
            "--seed",
            "2026",
            "--json",
        ],
        300,
    );
}

#[test]
fn a_bounded_run_against_wasmi_is_clean_but_for_its_known_differences() {
    assert_clean(
        &[
            "fuzz",
            "--runtime",
            "wasmi",
            "--cases",
            "300",
            "--seed",
            "2026",
            "--json",
        ],
        300,
    );
}

#[test]
fn wasmi_and_the_reference_agree_on_wasm_smith_modules() {
    assert_clean(
        &[
            "fuzz",
            "--runtime",
            "wasmi",
            "--against",
            "reference",
            "--cases",
            "100",
            "--seed",
            "7",
            "--json",
        ],
        100,
    );
}

/// A mutant that no fixed case was written for in this test: fuzzing finds it, the case
/// it writes is no heavier than what was drawn, its reproduce line fails on the mutant
/// and passes on the reference runtime, and a second run replays it and reports it once;
/// on each ABI (a component mutant found by `fuzz --abi component` is written as a
/// component case).
#[rstest::rstest]
#[case::core("faulty:fuel-set-once", "core", "1")]
#[case::component("faulty:component-app-error-as-trap", "component", "0")]
fn a_mutant_is_found_shrunk_written_reproduced_and_reported_once(
    #[case] mutant: &str,
    #[case] abi: &str,
    #[case] seed: &str,
) {
    let corpus = scratch(&format!("mutant-{abi}"));
    let dir = corpus.to_str().unwrap();
    let args = [
        "fuzz",
        "--runtime",
        mutant,
        "--abi",
        abi,
        "--cases",
        "400",
        "--seed",
        seed,
        "--corpus",
        dir,
        "--stop-at-first",
        "--json",
    ];
    let (r, code) = report(&args);
    assert_eq!(code, Some(1), "{r:#}");
    let found = &r["found"][0];
    assert_eq!(found["kind"], "oracle");
    assert!(
        found["shrunk_weight"].as_u64() <= found["original_weight"].as_u64(),
        "{found:#}"
    );
    let files = toml_files(&corpus);
    assert_eq!(files.len(), 1, "{files:?}");
    let written = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(
        written.contains("\nabi = \"component\"\n"),
        abi == "component",
        "{written}"
    );
    assert_eq!(
        found["file"].as_str().map(PathBuf::from),
        Some(files[0].clone())
    );

    // The printed command, as printed (its first word is the binary).
    let repro = found["repro"].as_str().unwrap();
    let words: Vec<&str> = repro.split_whitespace().collect();
    assert_eq!(&words[..2], ["lifecycle-kit", "run"], "{repro}");
    let out = kit(&words[1..]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 cases: 0 passed, 1 failed"), "{stdout}");
    let mut on_reference: Vec<&str> = words[1..].to_vec();
    on_reference[2] = "reference";
    let out = kit(&on_reference);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Found again: replayed first, reported once, not written twice.
    let (again, code) = report(&args);
    assert_eq!(code, Some(1));
    assert_eq!(again["replayed"], 1);
    assert_eq!(again["found"].as_array().unwrap().len(), 1, "{again:#}");
    assert_eq!(again["found"][0]["kind"], "corpus");
    assert_eq!(toml_files(&corpus), files);
    let _ = std::fs::remove_dir_all(&corpus);
}

#[test]
fn a_corpus_file_that_cannot_be_read_is_named_and_nothing_runs() {
    let corpus = scratch("bad");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::write(
        corpus.join("broken.toml"),
        "[[case]]\nid = \"x\"\nwhat = 1\n",
    )
    .unwrap();
    let out = kit(&["fuzz", "--cases", "5", "--corpus", corpus.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("broken.toml") && stderr.contains("what"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(toml_files(&corpus).len(), 1, "nothing written beside it");
    let _ = std::fs::remove_dir_all(&corpus);
}
