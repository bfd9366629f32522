//! Every reproduce line a failing run prints runs as printed and fails the same way: for
//! built-in runtimes, through an adapter, with `--cases`, for the extended families and
//! for seeded cases. Each line is run by the shell, with `lifecycle-kit` meaning the
//! binary under test.

use crate::common::{KIT, json_run, kit};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// Runs a printed reproduce line (with `--format json` added) in a shell, from another
/// directory than the run that printed it.
fn reproduce(line: &str) -> (Value, Option<i32>) {
    let command = line
        .strip_prefix("lifecycle-kit ")
        .unwrap_or_else(|| panic!("a reproduce line starts with the command: {line}"));
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("\"$KIT\" {command} --format json"))
        .env("KIT", KIT)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`{line}` printed no report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code())
}

/// The failing cases of `report`, with their reproduce lines: each line is run, selects
/// exactly its case, and fails it with the same reason. At most `limit` are tried.
fn every_line_reproduces(report: &Value, limit: usize) -> usize {
    let failing: Vec<&Value> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .take(limit)
        .collect();
    assert!(!failing.is_empty(), "nothing failed: {report:#}");
    for case in &failing {
        let line = case["repro"].as_str().expect("a reproduce line");
        let (again, code) = reproduce(line);
        assert_eq!(code, Some(1), "`{line}` exits 1");
        let cases = again["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 1, "`{line}` selects exactly its case");
        assert_eq!(cases[0]["id"], case["id"], "`{line}`");
        assert_eq!(cases[0]["outcome"], "fail", "`{line}`");
        assert_eq!(
            cases[0]["reason"], case["reason"],
            "`{line}` fails the same way"
        );
    }
    failing.len()
}

#[test]
fn builtin_runtime_lines_reproduce() {
    let (report, code) = json_run(&[
        "--runtime",
        "faulty:cleanup-skipped",
        "--filter",
        "LC-STOP-3",
    ]);
    assert_eq!(code, Some(1));
    assert!(every_line_reproduces(&report, 3) >= 3);
}

#[test]
fn adapter_lines_reproduce() {
    let adapter = format!("{KIT} adapter --runtime faulty:cleanup-skipped");
    let (report, code) = json_run(&["--adapter", &adapter, "--filter", "LC-STOP-3"]);
    assert_eq!(code, Some(1));
    let line = report["cases"][0]["repro"].as_str().unwrap();
    assert!(
        line.starts_with("lifecycle-kit run --adapter '") && !line.contains("' --runtime"),
        "{line}"
    );
    every_line_reproduces(&report, 2);
}

#[test]
fn extended_lines_reproduce() {
    let (report, code) = json_run(&[
        "--runtime",
        "faulty:stop-skips-stopping",
        "--extended",
        "--seed",
        "7",
        // A few of the thousand seeded cases (ids are `random-SEED`).
        "--filter",
        "random-29",
    ]);
    assert_eq!(code, Some(1));
    let line = report["cases"][0]["repro"].as_str().unwrap();
    assert!(line.contains("--extended --seed 7"), "{line}");
    every_line_reproduces(&report, 2);
}

/// The built-in cases plus one seeded case, in a directory of their own.
fn cases_with_a_seed() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lk-repro-{}", std::process::id()));
    lifecycle_conformance::case::copy_builtin_cases(&dir).unwrap();
    std::fs::write(
        dir.join("zz-seeded.toml"),
        "[[case]]\nid = \"seeded-forty-two\"\nclauses = [\"LC-STATE-2\"]\nseed = 42\n",
    )
    .unwrap();
    dir
}

#[test]
fn seeded_and_cases_dir_lines_reproduce() {
    let dir = cases_with_a_seed();
    let (report, code) = json_run(&[
        "--runtime",
        "faulty:stop-skips-stopping",
        "--cases",
        dir.to_str().unwrap(),
        "--filter",
        "seeded-forty-two",
    ]);
    assert_eq!(code, Some(1));
    let line = report["cases"][0]["repro"].as_str().unwrap();
    assert!(
        line.contains(&format!("--cases {}", dir.display())),
        "{line}"
    );
    every_line_reproduces(&report, 1);
}

#[test]
fn a_filter_that_selects_nothing_is_an_error() {
    for args in [
        &["--filter", "no-such-case"][..],
        &["--filter", "random-1"][..],
        &["--filter", "LC-NOPE"][..],
    ] {
        let out = kit(&[&["run"][..], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("selects no case"), "{err}");
    }
}
