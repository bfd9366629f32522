//! The CI recipe for runtime authors (docs/ci.md): the composite action
//! `ci/action/action.yml` and the example workflow `ci/conformance.yml`, checked as far as
//! they can be without GitHub's runners.
//!
//! - Both files are read as YAML and validated against SchemaStore's JSON Schemas for
//!   GitHub actions and workflows, vendored in `tests/data/schemastore/` (SOURCE.md says
//!   whence). `actionlint` would check more (expression types, `needs` graphs, shellcheck
//!   of `run:`), but it is a Go binary from GitHub, which cannot be fetched here. Each
//!   schema is also shown to reject a copy with one key misspelt, so a schema that
//!   accepts anything cannot pass this.
//! - What a schema cannot see: every `inputs.X` the action uses is declared and every
//!   declared input used; every `steps.X` it reads is a step's id; every script it calls
//!   through `${{ github.action_path }}` exists, is executable and runs under
//!   `set -euo pipefail`; the workflow calls this action (`OWNER/lifecycle-kit/ci/action`)
//!   at this crate's version, with inputs the action declares; the other actions it uses
//!   are GitHub's, at a pinned major version; and the shard matrix, `fail-fast: false`,
//!   `if: always()` uploads and the final job that merges.
//!
//! The scripts themselves run in `ci/action/selftest.sh`, which `.ci/run` runs with the
//! test build's binary.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A YAML file as JSON, which is what the schemas and GitHub see.
fn yaml(path: &str) -> Value {
    serde_yaml_ng::from_str(&read(path)).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("tests/data/schemastore/{name}");
    let schema: Value =
        serde_json::from_str(&read(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every violation of `doc` against `validator`, one line each: where, and what.
fn violations(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| {
            // A `oneOf` violation quotes the whole instance: its end is enough.
            let what = e.to_string();
            let what = match what.char_indices().nth_back(300) {
                Some((at, _)) => format!("...{}", &what[at..]),
                None => what,
            };
            format!("at `{}`: {what}", e.instance_path().as_str())
        })
        .collect()
}

const ACTION: &str = "ci/action/action.yml";
const WORKFLOW: &str = "ci/conformance.yml";

#[test]
fn the_action_and_the_workflow_satisfy_schemastores_schemas() {
    for (path, schema_file) in [
        (ACTION, "github-actions.json"),
        (WORKFLOW, "github-workflows.json"),
    ] {
        let validator = schema(schema_file);
        let doc = yaml(path);
        let found = violations(&validator, &doc);
        assert!(
            found.is_empty(),
            "{path} is not valid for {schema_file}:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_schemas_reject_a_misspelt_key() {
    // The action: `runs` misspelt. The workflow: a job's `runs-on` misspelt.
    let mut action = yaml(ACTION);
    let runs = action["runs"].take();
    action.as_object_mut().unwrap().remove("runs");
    action["run"] = runs;
    let found = violations(&schema("github-actions.json"), &action);
    assert!(
        !found.is_empty(),
        "the action's schema accepts `run:` for `runs:`"
    );

    let mut workflow = yaml(WORKFLOW);
    let job = workflow["jobs"]["shard"].as_object_mut().unwrap();
    let runs_on = job.remove("runs-on").expect("the shard job has runs-on");
    job.insert("run-on".into(), runs_on);
    let found = violations(&schema("github-workflows.json"), &workflow);
    assert!(
        found.iter().any(|v| v.contains("/jobs/shard")),
        "the workflow's schema accepts a job with `run-on:`: {found:?}"
    );
}

/// Every `PREFIX.NAME` in `text` where PREFIX is not the tail of a longer word: the NAMEs.
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + prefix.len()..];
        let name: String = after.chars().take_while(|&c| word(c)).collect();
        if !before.is_some_and(|c| word(c) || c == '.') && !name.is_empty() {
            found.insert(name);
        }
        rest = after;
    }
    found
}

/// Every string in a YAML document, keys excepted.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

fn action_steps(action: &Value) -> &Vec<Value> {
    action["runs"]["steps"]
        .as_array()
        .expect("the action has runs.steps")
}

#[test]
fn the_action_uses_the_inputs_and_steps_it_declares() {
    let action = yaml(ACTION);
    assert_eq!(action["runs"]["using"], "composite");
    let declared: BTreeSet<String> = action["inputs"]
        .as_object()
        .expect("the action declares inputs")
        .keys()
        .cloned()
        .collect();
    // Inputs are read in `${{ }}` expressions and in `if:` conditions, which are
    // expressions without the braces; both are strings of the document.
    let mut texts = Vec::new();
    strings(&action["runs"], &mut texts);
    strings(&action["outputs"], &mut texts);
    let text = texts.join("\n");
    let used = references(&text, "inputs.");
    let undeclared: Vec<_> = used.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "{ACTION} uses undeclared inputs {undeclared:?}"
    );
    let unused: Vec<_> = declared.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "{ACTION} declares unused inputs {unused:?}"
    );

    let ids: BTreeSet<String> = action_steps(&action)
        .iter()
        .filter_map(|s| s["id"].as_str().map(String::from))
        .collect();
    let read_steps = references(&text, "steps.");
    let unknown: Vec<_> = read_steps.difference(&ids).collect();
    assert!(
        unknown.is_empty(),
        "{ACTION} reads the outputs of steps {unknown:?}, which no step has as its id"
    );
    // A script reads its inputs from the environment, never from an expression spliced
    // into its text (where an input's quotes or `$(...)` would be run as shell).
    for step in action_steps(&action) {
        if let Some(run) = step["run"].as_str() {
            assert!(
                !run.contains("inputs."),
                "{ACTION}: step `{}` splices an input into its script: {run}",
                step["name"]
            );
            assert_eq!(step["shell"], "bash", "{ACTION}: step `{}`", step["name"]);
        }
    }
}

#[test]
fn every_script_the_action_calls_exists_and_is_executable() {
    use std::os::unix::fs::PermissionsExt;
    let action = yaml(ACTION);
    let dir = repo().join("ci/action");
    let mut called = BTreeSet::new();
    for step in action_steps(&action) {
        let Some(run) = step["run"].as_str() else {
            continue;
        };
        let prefix = "${{ github.action_path }}/";
        let scripts: Vec<String> = run
            .match_indices(prefix)
            .map(|(at, _)| {
                let rest = &run[at + prefix.len()..];
                let end = rest.find(['"', '\'', ' ', '\n']).unwrap_or(rest.len());
                rest[..end].to_string()
            })
            .collect();
        assert!(
            !scripts.is_empty(),
            "{ACTION}: step `{}` calls no script beside the action: {run}",
            step["name"]
        );
        called.extend(scripts);
    }
    for script in &called {
        let path = dir.join(script);
        let meta = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{ACTION} calls {}: {e}", path.display()));
        assert!(
            meta.permissions().mode() & 0o111 != 0,
            "{} is not executable",
            path.display()
        );
        check_script(&path);
    }
    // Every script beside the action is called by it, but the selftest, which calls them
    // as the workflow would.
    let mut beside: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sh"))
        .collect();
    assert!(
        beside.remove("selftest.sh"),
        "ci/action/selftest.sh is missing"
    );
    check_script(&dir.join("selftest.sh"));
    assert_eq!(
        beside, called,
        "the scripts in ci/action/ and those the action calls"
    );
    let selftest = read("ci/action/selftest.sh");
    for script in &called {
        assert!(
            selftest.contains(&format!("\"$here/{script}\"")),
            "ci/action/selftest.sh never runs {script}"
        );
    }
}

fn check_script(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.starts_with("#!/usr/bin/env bash\n"),
        "{}: not a bash script",
        path.display()
    );
    assert!(
        text.lines().any(|l| l == "set -euo pipefail"),
        "{}: no `set -euo pipefail`",
        path.display()
    );
}

/// The `uses:` of every step of every job of the workflow, with the job's name.
fn workflow_steps(workflow: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (job, body) in workflow["jobs"].as_object().expect("the workflow has jobs") {
        for step in body["steps"].as_array().expect("every job has steps") {
            out.push((job.clone(), step));
        }
    }
    out
}

const THIS_ACTION: &str = "OWNER/lifecycle-kit/ci/action@";

#[test]
fn the_workflow_runs_this_action_over_a_shard_matrix_and_merges() {
    let version = env!("CARGO_PKG_VERSION");
    let pinned = format!("{THIS_ACTION}v{version}");
    let workflow = yaml(WORKFLOW);
    let action = yaml(ACTION);
    assert_eq!(
        action["inputs"]["version"]["default"], version,
        "{ACTION}: the default kit version is not this crate's"
    );
    let inputs = action["inputs"].as_object().unwrap();
    let mut calls = Vec::new();
    for (job, step) in workflow_steps(&workflow) {
        let Some(uses) = step["uses"].as_str() else {
            continue;
        };
        if uses.contains("lifecycle-kit") {
            assert_eq!(
                uses, pinned,
                "{WORKFLOW}, job {job}: not this action at v{version}"
            );
            for key in step["with"]
                .as_object()
                .expect("the action is given inputs")
                .keys()
            {
                assert!(
                    inputs.contains_key(key),
                    "{WORKFLOW}, job {job}: the action has no input `{key}`"
                );
            }
            calls.push((job, step));
        } else {
            let (name, major) = uses.split_once('@').expect("a `uses:` has a version");
            assert!(
                name.starts_with("actions/")
                    && major.starts_with('v')
                    && major[1..].chars().all(|c| c.is_ascii_digit()),
                "{WORKFLOW}, job {job}: `{uses}` is not one of GitHub's actions at a pinned major version"
            );
        }
    }
    // The shard job: a matrix of shards, fail-fast off, each shard given to the action,
    // its reports uploaded even when it failed.
    let shard_job = &workflow["jobs"]["shard"];
    assert_eq!(shard_job["strategy"]["fail-fast"], false);
    let matrix: Vec<u64> = shard_job["strategy"]["matrix"]["shard"]
        .as_array()
        .expect("a matrix of shards")
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let n = matrix.len() as u64;
    assert!(
        n > 1 && matrix == (1..=n).collect::<Vec<_>>(),
        "shards {matrix:?}"
    );
    let (_, run) = calls
        .iter()
        .find(|(job, _)| job == "shard")
        .expect("the shard job calls the action");
    assert_eq!(run["with"]["shard"], "${{ matrix.shard }}");
    assert_eq!(
        run["with"]["shards"].as_u64(),
        Some(n),
        "`shards` is the matrix's size"
    );
    assert!(run["with"]["adapter"].is_string());
    let uploads = |job: &str| -> Vec<&Value> {
        workflow["jobs"][job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
            })
            .collect()
    };
    let shard_uploads = uploads("shard");
    assert_eq!(shard_uploads.len(), 1);
    assert_eq!(shard_uploads[0]["if"], "always()");
    let paths = shard_uploads[0]["with"]["path"].as_str().unwrap();
    assert!(
        paths.contains("report-${{ matrix.shard }}.json")
            && paths.contains("junit-${{ matrix.shard }}.xml"),
        "the shard's upload: {paths}"
    );

    // The merge job: after every shard, whatever became of them; every shard's JSON,
    // merged by the action into the page, which is uploaded; and it fails if a shard did.
    let merge_job = &workflow["jobs"]["matrix"];
    assert_eq!(merge_job["needs"], "shard");
    assert_eq!(merge_job["if"], "always()");
    let steps = merge_job["steps"].as_array().unwrap();
    let download = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/download-artifact@"))
        })
        .expect("the merge job downloads the shards' reports");
    assert_eq!(download["with"]["merge-multiple"], true);
    let (_, merge) = calls
        .iter()
        .find(|(job, _)| job == "matrix")
        .expect("the merge job calls the action");
    let html = merge["with"]["html"].as_str().unwrap();
    assert!(
        merge["with"]["merge"]
            .as_str()
            .unwrap()
            .ends_with("report-*.json")
    );
    let page_uploads = uploads("matrix");
    assert_eq!(page_uploads.len(), 1);
    assert_eq!(page_uploads[0]["if"], "always()");
    assert_eq!(page_uploads[0]["with"]["path"], html);
    assert!(
        steps.iter().any(
            |s| s["if"].as_str() == Some("needs.shard.result != 'success'")
                && s["run"].as_str().is_some_and(|r| r.contains("exit 1"))
        ),
        "the merge job does not fail when a shard did"
    );
}

/// The README's workflow snippet is a workflow but for its trigger: with one, it satisfies
/// the schema.
#[test]
fn the_readmes_snippet_is_a_valid_workflow() {
    let readme = read("README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("In your CI\n"))
        .expect("README.md has a section `In your CI`");
    let snippet = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section shows a YAML snippet");
    let mut doc: Value = serde_yaml_ng::from_str(snippet)
        .unwrap_or_else(|e| panic!("README.md's snippet is not YAML: {e}"));
    doc["on"] = "push".into();
    let found = violations(&schema("github-workflows.json"), &doc);
    assert!(
        found.is_empty(),
        "README.md's snippet:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_docs_name_the_action_at_this_version() {
    let pinned = format!("{THIS_ACTION}v{}", env!("CARGO_PKG_VERSION"));
    for path in ["README.md", "docs/ci.md", WORKFLOW] {
        let text = read(path);
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("/ci/action@")).collect();
        assert!(!lines.is_empty(), "{path} never shows the action's `uses:`");
        for line in lines {
            assert!(line.contains(&pinned), "{path}: `{line}` is not {pinned}");
        }
    }
}
