//! SPEC.md's decision tables as data: every row has a literal case (`cases/tables.toml`),
//! its expectation written from SPEC's text, and the oracle, which shares the contract
//! crate's rules with the reference runtime, derives the same for each. A slip in those
//! rules then fails twice: the reference runtime fails the row in the suite, and
//! [`the_oracle_agrees_with_every_written_row`] names the row here.

use lifecycle_conformance::case::{builtin_dir, disagreements, literal, load_dir};
use lifecycle_contract::{Limits, Profile, TrapCode};
use lifecycle_generators::Feature;
use std::collections::BTreeSet;

/// Each table, and the literal cases of its rows (and of the edges of "anything else").
const TABLES: &[(&str, &[&str])] = &[
    (
        "LC-HEALTH-4 / LC-HEALTH-2: health by state",
        &[
            "table-health-by-state-without-health-export",
            "table-health-by-state-after-a-failed-start",
        ],
    ),
    (
        "LC-HEALTH-2: health by `_health` code (0, 1, 2, and 3, -1, i32::MIN, i32::MAX)",
        &[
            "table-health-code-healthy",
            "table-health-code-degraded",
            "table-health-code-unhealthy",
            "table-health-code-unknown-3",
            "table-health-code-unknown-negative",
            "table-health-code-unknown-most-negative",
            "table-health-code-unknown-most-positive",
        ],
    ),
    (
        "LC-MSG-4: message_error code by result (-1, -42, i64::MIN + 1, i64::MIN, and 0: no error)",
        &[
            "table-message-error-minus-one",
            "table-message-error-42",
            "table-message-error-most-negative-plus-one",
            "table-message-error-most-negative",
            "table-message-result-zero",
        ],
    ),
    (
        "LC-STOP-2 / LC-STOP-3: stop warnings",
        &[
            "table-stop-cleanup-returns",
            "table-stop-cleanup-absent",
            "table-stop-cleanup-out-of-fuel",
            "table-stop-cleanup-past-timeout",
            "table-stop-no-cleanup-after-a-failed-start",
            "table-stop-no-cleanup-after-a-failed-message",
        ],
    ),
];

/// LC-LIMIT-6: every trap code the contract names at every entry where a trap is
/// reported: the start section, `_start`, `alloc`, `handle-message`, `_health` (and
/// `_cleanup`, whose rows are the stop warnings'); but `other`, which no module can
/// provoke on purpose, and `invalid_canonical_value`, which only components give (its
/// cases are LC-CM-9's).
fn trap_rows() -> Vec<String> {
    let mut rows = Vec::new();
    let of_core_modules =
        |c: &&TrapCode| !matches!(c, TrapCode::Other | TrapCode::InvalidCanonicalValue);
    for code in TrapCode::ALL.iter().filter(of_core_modules) {
        let trap = code.as_str().replace('_', "-");
        for entry in [
            "start-section",
            "start",
            "alloc",
            "handle-message",
            "health",
        ] {
            rows.push(format!("table-trap-{trap}-in-{entry}"));
        }
        rows.push(format!("table-stop-cleanup-traps-{trap}"));
    }
    rows
}

/// The ids `{prefix}{name}` of a table's rows.
fn prefixed(prefix: &str, names: &[&str]) -> Vec<String> {
    names.iter().map(|name| format!("{prefix}{name}")).collect()
}

/// §2: the error kind and stage of each start step, each way it can fail.
fn start_step_rows() -> Vec<String> {
    let mut rows = prefixed(
        "table-start-step-",
        &[
            "bad-magic",
            "bad-version",
            "component-binary",
            "text-not-binary",
            "header-only-truncated",
            "unknown-section-id",
            "overlong-leb128",
            "invalid-function-body",
            "memory-wrong-kind",
            "handle-message-without-alloc",
            "handle-message-without-memory-export",
            "import",
            "memory-over-limit",
            "table-over-limit",
            "data-segment-out-of-bounds",
            "elem-segment-out-of-bounds",
            "start-section-out-of-fuel",
            "start-out-of-fuel",
        ],
    );
    for export in ["start", "cleanup", "health", "handle-message", "alloc"] {
        for how in ["wrong-kind", "wrong-signature"] {
            rows.push(format!("table-start-step-{export}-{how}"));
        }
    }
    rows
}

/// LC-PROFILE-1 / LC-PROFILE-2: each feature a module can use on purpose, under each
/// profile.
fn profile_rows() -> Vec<String> {
    let mut rows = Vec::new();
    for feature in Feature::ALL {
        for profile in Profile::ALL {
            rows.push(format!("table-profile-{}-in-{profile}", feature.as_str()));
        }
    }
    rows
}

/// LC-MSG-2, LC-MSG-3, LC-MSG-5: each edge of a message's and a reply's bounds.
const BOUNDS: [&str; 13] = [
    "reply-ends-at-memory-end",
    "reply-one-past-memory-end",
    "reply-starts-at-memory-end",
    "reply-wraps-32-bits",
    "reply-zero-length-at-memory-end",
    "reply-at-size-limit",
    "reply-one-over-size-limit",
    "alloc-ends-at-memory-end",
    "alloc-one-past-memory-end",
    "alloc-wraps-32-bits",
    "alloc-zero-length-at-memory-end",
    "message-at-size-limit",
    "message-one-over-size-limit",
];

/// §4's limits table: its default column (each size and budget; the wall clocks'
/// defaults are not pinned, as an outcome does not show how long a timeout took), and
/// its key column, each key the one declaration names read from a case's `limits`
/// (and fuel's word `unlimited`), so a new limit demands its row.
fn limit_rows() -> Vec<String> {
    let mut rows = prefixed(
        "table-limit-default-",
        &[
            "max-memory-bytes",
            "max-table-elements",
            "fuel-per-call-within",
            "fuel-per-call-past",
            "max-message-bytes",
        ],
    );
    for name in Limits::NAMES {
        rows.push(format!("table-limit-key-{}", name.key.replace('_', "-")));
    }
    rows.push("table-limit-key-fuel-per-call-unlimited".into());
    rows
}

#[test]
fn every_row_of_every_table_has_a_literal_case() {
    let cases = load_dir(&builtin_dir()).unwrap();
    let literal: BTreeSet<&str> = literal(&cases).map(|c| c.id.as_str()).collect();
    let mut wanted: Vec<String> = TABLES
        .iter()
        .flat_map(|(_, ids)| ids.iter().map(|id| id.to_string()))
        .collect();
    wanted.extend(trap_rows());
    wanted.extend(start_step_rows());
    wanted.extend(profile_rows());
    wanted.extend(prefixed("table-bounds-", &BOUNDS));
    wanted.extend(limit_rows());
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|id| !literal.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "rows without a literal case: {missing:?}"
    );
    let unlisted: Vec<&&str> = literal
        .iter()
        .filter(|id| !wanted.iter().any(|w| w == *id))
        .collect();
    assert!(
        unlisted.is_empty(),
        "literal cases of no table here: {unlisted:?}"
    );
}

#[test]
fn the_oracle_agrees_with_every_written_row() {
    let cases = load_dir(&builtin_dir()).unwrap();
    assert!(literal(&cases).count() >= 156);
    let found = disagreements(&cases);
    let report: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(found.is_empty(), "\n{}", report.join("\n"));
}

/// The check can fail: a row whose written health differs from SPEC's (what a slip in
/// the shared rule would make the oracle derive) is named, with both expectations.
#[test]
fn a_row_the_oracle_does_not_derive_is_named() {
    let dir = std::env::temp_dir().join(format!("lk-tables-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tables = std::fs::read_to_string(builtin_dir().join("tables.toml")).unwrap();
    let row = "health = \"unhealthy\", reason = \"unknown_health_code\", code = 3";
    assert!(tables.contains(row));
    // The first row with that health: `table-health-code-unknown-3`'s.
    let slipped = tables.replacen(
        row,
        "health = \"degraded\", reason = \"unknown_health_code\", code = 3",
        1,
    );
    std::fs::write(dir.join("tables.toml"), slipped).unwrap();
    let cases = lifecycle_conformance::case::load_file(&dir.join("tables.toml")).unwrap();
    let found = disagreements(&cases);
    let names: Vec<&str> = found.iter().map(|d| d.case.as_str()).collect();
    assert_eq!(names, ["table-health-code-unknown-3"]);
    let shown = found[0].to_string();
    assert!(shown.starts_with("table-health-code-unknown-3 (health by code: `_health` returns 3: unhealthy (unknown_health_code, code 3)): the written expectation is not what the oracle derives"), "{shown}");
    assert!(shown.contains("\"health\": \"degraded\""), "{shown}");
    assert!(shown.contains("\"health\": \"unhealthy\""), "{shown}");
    let _ = std::fs::remove_dir_all(&dir);
}
