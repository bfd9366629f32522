//! The WebAssembly spec test suite as an external oracle: every module in it goes through
//! a whole trace without a panic or a hang, ends `terminated` with nothing held, and
//! every module the spec calls invalid, malformed, unlinkable or uninstantiable fails to
//! start with the matching contract error.
//!
//! The suite is vendored in `tests/data/wasm-spec-testsuite` (its SOURCE.md names the
//! commit); `WASM_SPEC_TESTSUITE=DIR` points the test at another copy. A missing suite
//! fails the test, naming where it looked: it is never skipped in silence. It is in the
//! slow tier (`cargo test -- --include-ignored`; `.ci/run` runs it).

use lifecycle_conformance::ModuleSource;
use lifecycle_conformance::drive;
use lifecycle_contract::{Outcome, Script};
use lifecycle_runtime::{Limits, Profile, Runtime, State};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, QuoteWatTest, Wast, WastDirective, WastExecute};

const VENDORED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/wasm-spec-testsuite"
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Expect {
    /// A `module`: any start outcome, but a clean trace.
    Any,
    Invalid,
    Malformed,
    Unlinkable,
    Uninstantiable,
}

/// What start must report for each expectation (kind, or kind/reason).
fn allowed(expect: Expect) -> &'static [&'static str] {
    match expect {
        Expect::Any => &[
            "ok",
            "link_failed",
            "validation_failed/unsupported_feature",
            "resource_limit_exceeded",
            "trapped",
            "bad_export",
        ],
        Expect::Invalid => &[
            "validation_failed/malformed",
            "validation_failed/unsupported_feature",
        ],
        Expect::Malformed => &[
            "validation_failed/malformed",
            "validation_failed/bad_magic",
            "validation_failed/unsupported_feature",
        ],
        Expect::Unlinkable => &["link_failed", "validation_failed/unsupported_feature"],
        Expect::Uninstantiable => &[
            "trapped",
            "link_failed",
            "validation_failed/unsupported_feature",
        ],
    }
}

fn binary(module: &mut QuoteWat) -> Option<Vec<u8>> {
    match module.to_test().ok()? {
        QuoteWatTest::Binary(bytes) => Some(bytes),
        // Text that must fail to parse is the text format's business, not the runtime's.
        QuoteWatTest::Text(_) => None,
    }
}

fn modules(path: &Path) -> Vec<(Expect, Vec<u8>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let Ok(buf) = ParseBuffer::new(&text) else {
        return Vec::new();
    };
    // A few files use syntax newer than this `wast`; they are counted as skipped.
    let Ok(wast) = parser::parse::<Wast>(&buf) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for directive in wast.directives {
        let found = match directive {
            WastDirective::Module(mut m) | WastDirective::ModuleDefinition(mut m) => {
                binary(&mut m).map(|b| (Expect::Any, b))
            }
            WastDirective::AssertInvalid { mut module, .. } => {
                binary(&mut module).map(|b| (Expect::Invalid, b))
            }
            WastDirective::AssertMalformed { mut module, .. } => {
                binary(&mut module).map(|b| (Expect::Malformed, b))
            }
            WastDirective::AssertUnlinkable { mut module, .. } => {
                module.encode().ok().map(|b| (Expect::Unlinkable, b))
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(mut module),
                ..
            } => module.encode().ok().map(|b| (Expect::Uninstantiable, b)),
            _ => None,
        };
        out.extend(found);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow tier: the WebAssembly spec test suite (run with --include-ignored)"]
async fn every_spec_module_runs_a_clean_trace() {
    let suite = std::env::var_os("WASM_SPEC_TESTSUITE")
        .map_or_else(|| PathBuf::from(VENDORED), PathBuf::from);
    assert!(
        suite.is_dir(),
        "no spec test suite at {}: restore tests/data/wasm-spec-testsuite from the repository, \
         or set WASM_SPEC_TESTSUITE to a directory of the suite's top-level .wast files \
         (github.com/WebAssembly/testsuite)",
        suite.display()
    );
    let suite = suite.as_path();
    let mut files: Vec<_> = std::fs::read_dir(suite)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect();
    files.sort();
    let runtime = Runtime::new().unwrap();
    let limits = Limits {
        start_timeout: Duration::from_secs(2),
        call_timeout: Duration::from_millis(500),
        health_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let script = Script {
        messages: vec![b"x".to_vec()],
        health: true,
        stop_timeout: Duration::from_millis(500),
    };
    let mut tally: BTreeMap<(Expect, String), usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    for file in &files {
        for (i, (expect, bytes)) in modules(file).into_iter().enumerate() {
            let t = drive::script(
                &runtime,
                ModuleSource::Bytes(bytes.into()),
                lifecycle_contract::Abi::Core,
                Profile::Standard,
                limits.clone(),
                &script,
            )
            .await
            .unwrap();
            let name = format!("{}#{i}", file.file_name().unwrap().to_string_lossy());
            assert_eq!(t.final_state, State::Terminated, "{name}");
            assert_eq!(
                (t.live_instances, t.accounted_memory_bytes),
                (0, 0),
                "{name}"
            );
            let Outcome::Start(start) = &t.ops[0].outcome else {
                unreachable!()
            };
            let got = match start {
                Ok(()) => "ok".to_string(),
                Err(e) => match &t.to_json()["ops"][0]["error"]["reason"] {
                    serde_json::Value::String(r) if e.kind().as_str() == "validation_failed" => {
                        format!("validation_failed/{r}")
                    }
                    _ => e.kind().as_str().to_string(),
                },
            };
            if !allowed(expect).contains(&got.as_str()) {
                wrong.push(format!(
                    "{name}: {expect:?} but start gave {got}: {start:?}"
                ));
            }
            *tally.entry((expect, got)).or_default() += 1;
        }
    }
    eprintln!("{} files; outcomes: {tally:#?}", files.len());
    assert!(
        tally.values().sum::<usize>() > 1000,
        "the suite yielded too few modules: {tally:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} modules started wrongly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
