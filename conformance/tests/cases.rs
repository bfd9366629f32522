//! Loading cases: errors name the file and the key; shards partition; coverage is enforced.

use lifecycle_conformance::case::{CaseError, builtin_dir, load_dir};
use lifecycle_conformance::runner::select;
use lifecycle_conformance::{Expectations, spec};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// A cases directory holding the built-in cases plus `extra` as `zz-extra.toml`.
fn dir_with(tag: &str, extra: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lk-cases-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    lifecycle_conformance::case::copy_builtin_cases(&dir).unwrap();
    std::fs::write(dir.join("zz-extra.toml"), extra).unwrap();
    dir
}

fn error(tag: &str, extra: &str) -> String {
    let err = load_dir(&dir_with(tag, extra)).expect_err("the extra case is rejected");
    err.to_string()
}

#[test]
fn the_builtin_cases_load_and_cover_every_clause() {
    let cases = load_dir(&builtin_dir()).unwrap();
    assert!(cases.len() >= 200, "{}", cases.len());
    let covered: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.clauses.iter().map(String::as_str))
        .collect();
    for clause in spec::clause_ids() {
        assert!(covered.contains(clause), "{clause}");
    }
    let scripted = [
        "start-twice",
        "stop-twice",
        "message-after-stop",
        "stop-during-failed",
        "many-start-stop-cycles",
    ];
    for id in scripted {
        assert!(cases.iter().any(|c| c.id == id), "{id}");
    }
}

#[test]
fn an_unknown_key_names_the_file_and_the_key() {
    let err = error(
        "key",
        "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\ntimeout = 3\n",
    );
    assert!(
        err.contains("zz-extra.toml") && err.contains("unknown field `timeout`"),
        "{err}"
    );
    let err = error(
        "limit-key",
        "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nlimits = { fuel = 3 }\n",
    );
    assert!(
        err.contains("zz-extra.toml") && err.contains("unknown field `fuel`"),
        "{err}"
    );
}

#[test]
fn bad_values_name_the_case_and_the_key() {
    for (tag, toml, needle) in [
        (
            "clause",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-NOPE-1\"]\nscenario = \"echo\"\n",
            "`LC-NOPE-1` is not a clause",
        ),
        (
            "scenario",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"nope\"\n",
            "key `scenario`",
        ),
        (
            "step",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nsteps = [\"strat\"]\n",
            "key `steps`, step 1: unknown step `strat`",
        ),
        (
            "profile",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nprofile = \"loose\"\n",
            "key `profile`",
        ),
        (
            "two-sources",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nseed = 3\n",
            "exactly one of",
        ),
        (
            "no-expect",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nwat = \"(module)\"\n",
            "key `expect`",
        ),
        (
            "invariants-of-a-scenario",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\ninvariants = true\n",
            "key `invariants`: generator modules have an expectation",
        ),
        (
            "expect-of-a-seed",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nseed = 3\nexpect = { final_state = \"terminated\", transitions = [], ops = [] }\n",
            "key `expect`: a written expectation is for `scenario`, `wat` and `file` modules, not `seed`",
        ),
        (
            "code-not-digits",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-4\"]\nscenario = \"app-error\"\nsteps = [\"start\", { send = \"x\" }]\nexpect = { final_state = \"ready\", transitions = [], ops = [{ op = \"start\", ok = true }, { op = \"message\", ok = false, message_hex = \"78\", error = { kind = \"message_error\", stage = \"handle-message\", code = \"2^63\" } }] }\n",
            "key `expect.ops`, op 2: error.code `2^63` is not a number from 0 to 2^64 - 1",
        ),
        (
            "bad-wat",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nwat = \"(module\"\nexpect = { final_state = \"terminated\", transitions = [], ops = [] }\n",
            "key `wat`",
        ),
        (
            "no-transitions",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nwat = \"(module)\"\nexpect = { final_state = \"terminated\", ops = [] }\n",
            "missing field `transitions`",
        ),
        (
            "bad-transition",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nwat = \"(module)\"\nexpect = { final_state = \"terminated\", transitions = [[\"creating\", \"running\"]], ops = [] }\n",
            "key `expect.transitions`: unknown state `running`",
        ),
        (
            "bad-call",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nwat = \"(module)\"\nexpect = { final_state = \"terminated\", transitions = [], ops = [{ op = \"start\", ok = true, calls = [{ export = \"main\", outcome = \"returned\" }] }] }\n",
            "key `expect.ops`, op 1: bad `calls`",
        ),
        (
            "capability",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nneeds = [\"telepathy\"]\n",
            "unknown variant `telepathy`",
        ),
        (
            "fuel-word",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nlimits = { fuel_per_call = \"lots\" }\n",
            "key `limits.fuel_per_call`: `lots` is neither a number nor \"unlimited\"",
        ),
        (
            "alongside",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nalongside = [\"nope\"]\n",
            "key `alongside`: no generator scenario named `nope`",
        ),
        (
            "timing",
            "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\ntiming = \"exact\"\n",
            "unknown variant `exact`",
        ),
        (
            "duplicate",
            "[[case]]\nid = \"echo\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\n",
            "also defined in",
        ),
        (
            "kebab",
            "[[case]]\nid = \"Not_Kebab\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\n",
            "not kebab-case",
        ),
        ("syntax", "[[case]\nid = 3", "zz-extra.toml"),
    ] {
        let err = error(tag, toml);
        assert!(
            err.contains("zz-extra.toml") && err.contains(needle),
            "{tag}: {err}"
        );
        let parse_errors = [
            "syntax",
            "kebab",
            "duplicate",
            "no-transitions",
            "capability",
            "timing",
        ];
        if !parse_errors.contains(&tag) {
            assert!(err.contains("case `"), "{tag} names the case: {err}");
        }
    }
}

#[test]
fn a_clause_without_cases_fails_the_load() {
    let dir = dir_with("uncovered", "");
    std::fs::remove_file(dir.join("scripted.toml")).unwrap();
    let err = load_dir(&dir).unwrap_err();
    assert!(
        // `demanding-module-compiles`, in scripted.toml, is LC-START-5's only case.
        matches!(&err, CaseError::Uncovered { clauses } if clauses.contains(&"LC-START-5".to_string())),
        "{err}"
    );
}

#[test]
fn shards_are_disjoint_and_cover_everything() {
    let all = load_dir(&builtin_dir()).unwrap();
    let ids: BTreeSet<String> = all.iter().map(|c| c.id.clone()).collect();
    for n in 1..=5u64 {
        let mut seen = BTreeSet::new();
        for k in 1..=n {
            let shard = select(all.clone(), None, Some((k, n)));
            assert!(
                !shard.is_empty() || n > ids.len() as u64,
                "shard {k}/{n} is empty"
            );
            for c in shard {
                assert!(seen.insert(c.id.clone()), "{} in two shards of {n}", c.id);
            }
        }
        assert_eq!(seen, ids, "the shards of {n} cover every case");
    }
    // Deterministic: the same shard twice is the same cases.
    let once: Vec<String> = select(all.clone(), None, Some((2, 3)))
        .into_iter()
        .map(|c| c.id)
        .collect();
    let again: Vec<String> = select(all, None, Some((2, 3)))
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(once, again);
}

#[test]
fn filters_select_an_exact_id_or_a_substring() {
    let all = load_dir(&builtin_dir()).unwrap();
    let exact = select(all.clone(), Some("echo"), None);
    assert_eq!(exact.len(), 1);
    let clause = select(all.clone(), Some("LC-STOP-3"), None);
    assert!(
        clause.len() >= 5
            && clause
                .iter()
                .all(|c| c.clauses.iter().any(|x| x == "LC-STOP-3"))
    );
    let sub = select(all, Some("cleanup-"), None);
    assert!(sub.len() >= 8 && sub.iter().all(|c| c.id.contains("cleanup-")));
}

#[test]
fn expectations_files_are_checked() {
    let dir = std::env::temp_dir().join(format!("lk-expect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, "[[xfail]]\ncase = \"echo\"\nreason = \"known\"\n").unwrap();
    assert_eq!(Expectations::load(&good).unwrap().xfail["echo"], "known");
    for (name, text, needle) in [
        (
            "no-reason.toml",
            "[[xfail]]\ncase = \"echo\"\n",
            "missing field `reason`",
        ),
        (
            "empty-reason.toml",
            "[[xfail]]\ncase = \"echo\"\nreason = \" \"\n",
            "key `reason` is empty",
        ),
        (
            "extra.toml",
            "[[xfail]]\ncase = \"echo\"\nreason = \"x\"\nwhy = 1\n",
            "unknown field `why`",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let err = Expectations::load(&path).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(needle), "{err}");
    }
    let err = Expectations::load(&dir.join("missing.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.toml"), "{err}");
}
