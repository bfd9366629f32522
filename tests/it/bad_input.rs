//! Bad input everywhere: every flag, case file, expectations file, output path and
//! adapter command that is wrong gets one line on stderr naming what and where, exit
//! status 2, no panic, nothing on stdout, and no output file left behind.
//!
//! One table. A row is the command line (`{dir}` stands for the row's own fresh
//! directory, `{kit}` for this binary), the files to create in `{dir}` first, the exit
//! status, the words the message must contain, and paths in `{dir}` that must not exist
//! afterwards. Every row also checks that `{dir}` holds afterwards exactly the files it
//! was given: nothing partial, nothing temporary. To add a row, add a line to [`rows`].
//!
//! Not every wrong thing is bad input. What was decided, each tabled with its status:
//! - `trace MODULE` traces whatever the runtime makes of MODULE, and exits 0: garbage
//!   bytes and WAT that does not parse are its load failure (`bad_magic`, `malformed`),
//!   and so is a module file that is missing or a directory: reading the module is
//!   start's first step, and LC-START-1 makes bytes that cannot be read the runtime's
//!   `component_not_found`. A trace is how that is seen: the Python adapter
//!   (conformance/adapters/python) runs the `component-not-found` and
//!   `component-is-a-directory` cases through `trace`, and `lifecycle-kit trace` of a
//!   mistyped path says `component_not_found ... No such file or directory` on stdout.
//!   (Exit 2 here was tried: it broke that adapter, and left no way to trace the clause.)
//! - A case file is different: it says what it expects. A case `file` that does not exist
//!   is bad input unless the case expects `component_not_found` (as the two cases above
//!   do): a mistyped path is caught when the cases load, not reported as the runtime's
//!   failure.
//! - An adapter that cannot start or greet (no such program, a greeting that is not JSON,
//!   a handshake outside the schema) leaves no runtime under test: the run cannot begin,
//!   as with `--runtime nosuch`, so it is exit 2 and one line naming `--adapter`. An
//!   adapter that greets and then breaks the protocol during a case is the runtime under
//!   test failing: a verdict, not bad input. The report names the request and the field
//!   and the run exits 1; `trace`, which has no report, says it in one line on stderr
//!   and exits 1.
//! - `--junit` to a place it cannot be written is found before anything runs: the file is
//!   created first, as `PATH.tmp-PID`, and renamed into place once the report is whole.
//!   So no report is half-written: nothing on stdout and no file, rather than a report on
//!   stdout with its JUnit copy missing.

use crate::common::{KIT, command};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where a row's message must appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Says {
    /// One line on stderr, nothing on stdout: bad input, and `trace`'s unjudgeable runs.
    Stderr,
    /// In the report on stdout, with nothing on stderr: a verdict.
    Stdout,
}

struct Row {
    name: &'static str,
    args: Vec<&'static str>,
    files: Vec<(&'static str, Vec<u8>)>,
    code: i32,
    says: Says,
    names: Vec<&'static str>,
    absent: Vec<&'static str>,
}

/// Bad input: exit 2, and one line on stderr containing each of `names`.
fn bad(name: &'static str, args: &[&'static str], names: &[&'static str]) -> Row {
    Row {
        name,
        args: args.to_vec(),
        files: Vec::new(),
        code: 2,
        says: Says::Stderr,
        names: names.to_vec(),
        absent: Vec::new(),
    }
}

impl Row {
    /// Creates `{dir}/path` (and its directories) before the command runs.
    fn file(mut self, path: &'static str, contents: impl AsRef<[u8]>) -> Row {
        self.files.push((path, contents.as_ref().to_vec()));
        self
    }

    /// `{dir}/path` must not exist afterwards.
    fn absent(mut self, path: &'static str) -> Row {
        self.absent.push(path);
        self
    }

    /// Not bad input: a verdict, exit `code`, the names in the report on stdout.
    fn verdict(mut self, code: i32) -> Row {
        self.code = code;
        self.says = Says::Stdout;
        self
    }

    /// Exit `code` with the one line on stderr (`trace` with a broken adapter).
    fn exits(mut self, code: i32) -> Row {
        self.code = code;
        self
    }
}

/// A case file with one good case and `extra` lines added to it.
fn case(extra: &str) -> String {
    format!("[[case]]\nid = \"mine\"\nclauses = [\"LC-MSG-1\"]\n{extra}\n")
}

/// A written expectation any module can be given (it need not be right to load).
const EXPECT: &str = "expect = { final_state = \"terminated\", transitions = [], ops = [] }";

/// A whole report of one passing case `id` (as `run --format json` writes it) judged
/// against SPEC version `spec`.
fn report(spec: &str, id: &str) -> String {
    let meta = format!(
        "{{\"format\": \"lifecycle-kit-report/1\", \"kit_version\": \"0.1.0\", \"spec_version\": \"{spec}\", \"protocol\": \"lifecycle-adapter/2\", \"started\": \"2026-12-05T00:00:00Z\", \"abi\": \"all\", \"seed\": null, \"shard\": null, \"filter\": null}}"
    );
    format!(
        "{{\"runtime\": \"mine\", \"version\": \"1\", \"error\": null, \"total\": 1, \"passed\": 1, \"failed\": 0, \"unsupported\": 0, \"xfail\": 0, \"xpass\": 0, \"unsupported_by_capability\": {{}}, \"coverage\": {{\"LC-MSG-1\": [\"{id}\"]}}, \"clauses\": {{}}, \"cases\": [{{\"id\": \"{id}\", \"clauses\": [\"LC-MSG-1\"], \"outcome\": \"pass\", \"duration_ms\": 1, \"reason\": null, \"repro\": null, \"abi\": \"core\"}}], \"meta\": {meta}}}"
    )
}

/// `--adapter` through the malformed proxy in `mode`.
fn malformed(mode: &str) -> &'static str {
    format!("python3 tests/adapters/malformed.py {mode} {KIT}").leak()
}

fn rows() -> Vec<Row> {
    let echo = "examples/echo.wat";
    let cases = "{dir}/cases";
    let file = "{dir}/cases/mine.toml";
    vec![
        // The command line itself.
        bad("no-command", &[], &["no command given", "trace"]),
        bad("unknown-command", &["frobnicate"], &["frobnicate"]),
        bad("unknown-global-flag", &["--bogus"], &["--bogus"]),
        // trace
        bad("trace-unknown-flag", &["trace", echo, "--bogus"], &["--bogus"]),
        bad("trace-no-module", &["trace"], &["<MODULE>"]),
        bad("trace-runtime", &["trace", echo, "--runtime", "nosuch"], &["nosuch"]),
        bad(
            "trace-runtime-faulty",
            &["trace", echo, "--runtime", "faulty:nosuch"],
            &["no mutant named `nosuch`"],
        ),
        bad("trace-allocator", &["trace", echo, "--allocator", "nosuch"], &["--allocator"]),
        bad("trace-profile", &["trace", echo, "--profile", "nosuch"], &["--profile"]),
        bad("trace-abi", &["trace", echo, "--abi", "nosuch"], &["--abi", "nosuch"]),
        // An ABI that does not match the module is the runtime's load failure, as garbage
        // bytes are: the trace says which header it expected.
        bad("trace-core-module-as-component", &["trace", echo, "--abi", "component"], &["bad_magic", "0061736d0d000100 (component ABI)"])
            .verdict(0),
        bad("trace-component-as-core-module", &["trace", "conformance/cases/modules/rust-actor.wasm"], &["bad_magic", "0061736d01000000 (core ABI)"])
            .verdict(0),
        bad("trace-fuel-word", &["trace", echo, "--fuel", "lots"], &["--fuel"]),
        bad("trace-fuel-negative", &["trace", echo, "--fuel", "-1"], &["-1"]),
        bad("trace-max-memory", &["trace", echo, "--max-memory", "abc"], &["--max-memory"]),
        bad(
            "trace-timeout-too-large",
            &["trace", echo, "--start-timeout-ms", "99999999999999999999"],
            &["--start-timeout-ms"],
        ),
        bad("trace-stop-timeout", &["trace", echo, "--stop-timeout-ms", "soon"], &["--stop-timeout-ms"]),
        bad("trace-send-no-value", &["trace", echo, "--send"], &["--send"]),
        bad(
            "trace-adapter-timeout-zero",
            &["trace", echo, "--adapter", "x", "--adapter-timeout-secs", "0"],
            &["--adapter-timeout-secs"],
        ),
        bad(
            "trace-adapter-and-runtime",
            &["trace", echo, "--runtime", "wasmi", "--adapter", "x"],
            &["--adapter"],
        ),
        // What the runtime makes of a module is a trace, exit 0, whatever the module.
        bad("trace-missing-module", &["trace", "{dir}/nope.wasm"], &["component_not_found", "{dir}/nope.wasm"])
            .verdict(0),
        bad("trace-module-is-a-directory", &["trace", "{dir}"], &["component_not_found", "{dir}"])
            .verdict(0),
        bad("trace-garbage-module", &["trace", "{dir}/garbage.wasm"], &["bad_magic"])
            .file("garbage.wasm", b"\x8f\x13\xd2\x07 random bytes \xff\xfe")
            .verdict(0),
        bad("trace-wat-that-does-not-parse", &["trace", "{dir}/bad.wat"], &["malformed"])
            .file("bad.wat", "(modul")
            .verdict(0),
        bad(
            "trace-adapter-no-such-program",
            &["trace", echo, "--adapter", "nosuchprogram --flag"],
            &["--adapter `nosuchprogram --flag`", "cannot start adapter `nosuchprogram`"],
        ),
        bad("trace-adapter-empty", &["trace", echo, "--adapter", " "], &["--adapter", "empty"]),
        bad(
            "trace-adapter-bad-handshake",
            &["trace", echo, "--adapter", malformed("bad-handshake")],
            &["--adapter", "the handshake is wrong at `/capabilities`"],
        ),
        // A protocol broken midway: no trace to print, one line, exit 1.
        bad(
            "trace-adapter-breaks-protocol",
            &["trace", echo, "--adapter", malformed("not-json")],
            &["the answer to `start`", "is not JSON"],
        )
        .exits(1),
        // gen
        bad("gen-unknown-flag", &["gen", "echo", "--out", "{dir}/out", "--bogus"], &["--bogus"])
            .absent("out"),
        bad("gen-nothing-to-generate", &["gen", "--out", "{dir}/out"], &["required"]).absent("out"),
        bad("gen-no-out", &["gen", "echo"], &["--out"]),
        bad("gen-unknown-scenario", &["gen", "nosuch", "--out", "{dir}/out"], &["`nosuch`"])
            .absent("out"),
        bad(
            "gen-one-unknown-among-good",
            &["gen", "echo", "nosuch", "--out", "{dir}/out"],
            &["`nosuch`"],
        )
        .absent("out"),
        bad("gen-random-word", &["gen", "--random", "X", "--out", "{dir}/out"], &["--random"])
            .absent("out"),
        bad(
            "gen-count-zero",
            &["gen", "--random", "1", "--count", "0", "--out", "{dir}/out"],
            &["--count"],
        )
        .absent("out"),
        bad(
            "gen-count-without-random",
            &["gen", "echo", "--count", "3", "--out", "{dir}/out"],
            &["--random"],
        )
        .absent("out"),
        bad("gen-list-with-out", &["gen", "--list", "--out", "{dir}/out"], &["--out"]).absent("out"),
        bad(
            "gen-out-is-a-file",
            &["gen", "echo", "--out", "{dir}/out"],
            &["--out", "{dir}/out", "not a directory"],
        )
        .file("out", "a file, left as it is"),
        bad(
            "gen-out-under-a-file",
            &["gen", "echo", "--out", "{dir}/file/out"],
            &["--out", "{dir}/file"],
        )
        .file("file", "a file")
        .absent("file/out"),
        // run: flags
        bad("run-unknown-flag", &["run", "--bogus"], &["--bogus"]),
        bad("run-format", &["run", "--format", "nosuch"], &["--format"]),
        bad("run-shard-zero", &["run", "--shard", "0/0"], &["--shard", "0/0"]),
        bad("run-shard-word", &["run", "--shard", "x/2"], &["--shard", "`x`"]),
        bad("run-require", &["run", "--require", "nosuch"], &["--require", "nosuch"]),
        bad("run-abi", &["run", "--abi", "components"], &["--abi", "components"]),
        bad("run-seed", &["run", "--seed", "abc"], &["--seed"]),
        bad("run-jobs-zero", &["run", "--jobs", "0"], &["--jobs"]),
        bad("run-jobs-word", &["run", "--jobs", "many"], &["--jobs"]),
        bad("run-watchdog-zero", &["run", "--watchdog-secs", "0"], &["--watchdog-secs"]),
        bad("run-watchdog-negative", &["run", "--watchdog-secs", "-5"], &["-5"]),
        bad(
            "run-adapter-timeout-word",
            &["run", "--adapter", "x", "--adapter-timeout-secs", "soon"],
            &["--adapter-timeout-secs"],
        ),
        bad("run-runtime", &["run", "--runtime", "nosuch"], &["nosuch"]),
        bad("run-runtime-faulty", &["run", "--runtime", "faulty:nosuch"], &["`nosuch`"]),
        bad("run-allocator", &["run", "--allocator", "nosuch"], &["--allocator"]),
        bad("run-filter-selects-nothing", &["run", "--filter", "no-such-case"], &["no-such-case"]),
        bad("run-filter-no-value", &["run", "--filter"], &["--filter"]),
        bad("run-cases-no-value", &["run", "--cases"], &["--cases"]),
        // run: case files, each named with the key or the case
        bad("cases-missing-dir", &["run", "--cases", "{dir}/nope"], &["{dir}/nope"]),
        bad("cases-dir-is-a-file", &["run", "--cases", cases], &[cases]).file("cases", "x"),
        bad("cases-cover-nothing", &["run", "--cases", cases], &["--cases {dir}/cases", "no case checks"])
            .file("cases/notes.txt", "no TOML here"),
        bad("cases-syntax", &["run", "--cases", cases], &[file, "line 1"])
            .file("cases/mine.toml", "[[case]\nid = "),
        bad("cases-unknown-key", &["run", "--cases", cases], &[file, "case `mine`", "`retries`"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nretries = 2")),
        bad("cases-unknown-table", &["run", "--cases", cases], &[file, "`title`"])
            .file("cases/mine.toml", format!("title = \"x\"\n{}", case("scenario = \"echo\""))),
        bad("cases-unknown-step", &["run", "--cases", cases], &[file, "case `mine`", "key `steps`", "`jump`"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nsteps = [\"start\", \"jump\"]")),
        bad("cases-unknown-step-key", &["run", "--cases", cases], &[file, "case `mine`", "`leap`"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nsteps = [{ leap = 1 }]")),
        bad(
            "cases-unknown-state",
            &["run", "--cases", cases],
            &[file, "case `mine`", "expect.final_state", "`exploded`"],
        )
        .file(
            "cases/mine.toml",
            case("wat = \"(module)\"\nexpect = { final_state = \"exploded\", transitions = [], ops = [] }"),
        ),
        bad("cases-unknown-abi", &["run", "--cases", cases], &[file, "case `mine`", "`wasi`"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nabi = \"wasi\"")),
        bad("cases-componentize-a-core-case", &["run", "--cases", cases], &[file, "case `mine`", "`componentize`"])
            .file("cases/mine.toml", case(&format!("wat = \"(module)\"\ncomponentize = true\n{EXPECT}"))),
        bad("cases-componentize-no-world", &["run", "--cases", cases], &[file, "case `mine`", "`componentize`", "no component of the kit's world"])
            .file("cases/mine.toml", case(&format!("wat = \"(module)\"\nabi = \"component\"\ncomponentize = true\n{EXPECT}"))),
        bad("cases-limits-unknown-key", &["run", "--cases", cases], &[file, "case `mine`", "`fuel`"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nlimits = { fuel = 3 }")),
        bad("cases-limits-bad-value", &["run", "--cases", cases], &[file, "case `mine`", "limits.fuel_per_call"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nlimits = { fuel_per_call = \"lots\" }")),
        bad("cases-limits-negative", &["run", "--cases", cases], &[file, "case `mine`", "call_timeout_ms = -5"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nlimits = { call_timeout_ms = -5 }")),
        bad("cases-duplicate-id", &["run", "--cases", cases], &[file, "case `mine` is also defined"])
            .file("cases/mine.toml", format!("{}{}", case("scenario = \"echo\""), case("seed = 3"))),
        bad("cases-id-not-kebab", &["run", "--cases", cases], &[file, "`Not_Kebab`"])
            .file("cases/mine.toml", "[[case]]\nid = \"Not_Kebab\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\n"),
        bad("cases-unknown-clause", &["run", "--cases", cases], &[file, "case `mine`", "`LC-NOPE-1`"])
            .file("cases/mine.toml", "[[case]]\nid = \"mine\"\nclauses = [\"LC-NOPE-1\"]\nscenario = \"echo\"\n"),
        bad("cases-unknown-scenario", &["run", "--cases", cases], &[file, "case `mine`", "key `scenario`", "`nosuch`"])
            .file("cases/mine.toml", case("scenario = \"nosuch\"")),
        bad("cases-unknown-alongside", &["run", "--cases", cases], &[file, "case `mine`", "key `alongside`"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nalongside = [\"nosuch\"]")),
        bad("cases-missing-file", &["run", "--cases", cases], &[file, "case `mine`", "key `file`", "nope.wasm"])
            .file("cases/mine.toml", case(&format!("file = \"nope.wasm\"\n{EXPECT}"))),
        bad("cases-wat-does-not-parse", &["run", "--cases", cases], &[file, "case `mine`", "key `wat`", "line 1"])
            .file("cases/mine.toml", case(&format!("wat = \"(modul\"\n{EXPECT}"))),
        bad("cases-no-module", &["run", "--cases", cases], &[file, "case `mine`", "exactly one of"])
            .file("cases/mine.toml", case("steps = [\"start\"]")),
        bad("cases-two-modules", &["run", "--cases", cases], &[file, "case `mine`", "exactly one of"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nseed = 3")),
        bad("cases-bad-profile", &["run", "--cases", cases], &[file, "case `mine`", "key `profile`"])
            .file("cases/mine.toml", case("scenario = \"echo\"\nprofile = \"loose\"")),
        // run: expectations files
        bad("expectations-missing", &["run", "--filter", "echo", "--expectations", "{dir}/nope.toml"], &["{dir}/nope.toml"]),
        bad("expectations-syntax", &["run", "--filter", "echo", "--expectations", "{dir}/x.toml"], &["{dir}/x.toml", "line 2"])
            .file("x.toml", "[[xfail]]\ncase = "),
        bad("expectations-unknown-key", &["run", "--filter", "echo", "--expectations", "{dir}/x.toml"], &["{dir}/x.toml", "`why`"])
            .file("x.toml", "[[xfail]]\ncase = \"echo\"\nreason = \"r\"\nwhy = 1\n"),
        bad("expectations-empty-reason", &["run", "--filter", "echo", "--expectations", "{dir}/x.toml"], &["{dir}/x.toml", "`echo`", "`reason` is empty"])
            .file("x.toml", "[[xfail]]\ncase = \"echo\"\nreason = \" \"\n"),
        bad("expectations-duplicate", &["run", "--filter", "echo", "--expectations", "{dir}/x.toml"], &["{dir}/x.toml", "`echo` listed twice"])
            .file("x.toml", "[[xfail]]\ncase = \"echo\"\nreason = \"r\"\n[[xfail]]\ncase = \"echo\"\nreason = \"s\"\n"),
        // report: the reports read back, and the page written whole or not at all.
        bad("report-no-html", &["report", "{dir}/r.json"], &["--html"]).file("r.json", report("1", "echo")),
        bad("report-no-reports", &["report", "--html", "{dir}/m.html"], &["REPORT.json"]).absent("m.html"),
        bad("report-missing", &["report", "--html", "{dir}/m.html", "{dir}/nope.json"], &["{dir}/nope.json", "cannot read"])
            .absent("m.html"),
        bad("report-truncated", &["report", "--html", "{dir}/m.html", "{dir}/r.json"], &["{dir}/r.json", "not a whole JSON document", "EOF"])
            .file("r.json", &report("1", "echo")[..200])
            .absent("m.html"),
        bad("report-older-kit", &["report", "--html", "{dir}/m.html", "{dir}/r.json"], &["{dir}/r.json", "another kit version", "no `meta.format`"])
            .file("r.json", "{\"runtime\": \"x\", \"version\": \"1\", \"total\": 0, \"cases\": []}")
            .absent("m.html"),
        bad("report-other-format", &["report", "--html", "{dir}/m.html", "{dir}/r.json"], &["{dir}/r.json", "`lifecycle-kit-report/9`", "lifecycle-kit-report/1"])
            .file("r.json", report("1", "echo").replace("lifecycle-kit-report/1", "lifecycle-kit-report/9"))
            .absent("m.html"),
        bad("report-not-a-report", &["report", "--html", "{dir}/m.html", "{dir}/r.json"], &["{dir}/r.json", "not a lifecycle-kit report"])
            .file("r.json", "[1, 2, 3]")
            .absent("m.html"),
        bad("report-wrong-shape", &["report", "--html", "{dir}/m.html", "{dir}/r.json"], &["{dir}/r.json", "not a lifecycle-kit report", "cases"])
            .file("r.json", report("1", "echo").replace("\"cases\": [", "\"cases\": 7, \"x\": ["))
            .absent("m.html"),
        bad("report-unknown-outcome", &["report", "--html", "{dir}/m.html", "{dir}/r.json"], &["{dir}/r.json", "`echo`", "unknown outcome `great`"])
            .file("r.json", report("1", "echo").replace("\"outcome\": \"pass\"", "\"outcome\": \"great\""))
            .absent("m.html"),
        bad("report-mixed-spec", &["report", "--html", "{dir}/m.html", "{dir}/a.json", "{dir}/b.json"], &["{dir}/a.json and {dir}/b.json", "different SPEC versions (v1 and v2)"])
            .file("a.json", report("1", "echo"))
            .file("b.json", report("2", "echo").replace("\"runtime\": \"mine\"", "\"runtime\": \"other\""))
            .absent("m.html"),
        bad("report-shards-overlap", &["report", "--html", "{dir}/m.html", "{dir}/a.json", "{dir}/b.json"], &["{dir}/b.json", "case `echo` is also in {dir}/a.json"])
            .file("a.json", report("1", "echo").replace("\"shard\": null", "\"shard\": {\"k\": 1, \"n\": 2}"))
            .file("b.json", report("1", "echo").replace("\"shard\": null", "\"shard\": {\"k\": 2, \"n\": 2}"))
            .absent("m.html"),
        bad("report-html-dir-missing", &["report", "--html", "{dir}/no/m.html", "{dir}/r.json"], &["--html {dir}/no/m.html"])
            .file("r.json", report("1", "echo"))
            .absent("no"),
        bad("report-html-is-a-directory", &["report", "--html", "{dir}/m.html", "{dir}/r.json"], &["--html {dir}/m.html", "is a directory"])
            .file("r.json", report("1", "echo"))
            .file("m.html/keep", ""),
        bad("report-html-named-json", &["report", "--html", "{dir}/a.json", "{dir}/b.json"], &["--html {dir}/a.json", "ends in .json", "OUT.html"])
            .file("a.json", report("1", "echo"))
            .file("b.json", report("1", "echo")),
        bad("report-given-twice", &["report", "--html", "{dir}/m.html", "{dir}/a.json", "{dir}/./a.json"], &["{dir}/./a.json", "given twice"])
            .file("a.json", report("1", "echo"))
            .absent("m.html"),
        bad("run-html-dir-missing", &["run", "--filter", "echo", "--html", "{dir}/no/m.html"], &["--html {dir}/no/m.html"])
            .absent("no"),
        // run: the JUnit report
        bad("junit-run-cannot-begin", &["run", "--cases", "{dir}/nope", "--junit", "{dir}/report.xml"], &["{dir}/nope"])
            .absent("report.xml"),
        bad("junit-dir-missing", &["run", "--filter", "echo", "--junit", "{dir}/no/such/report.xml"], &["--junit {dir}/no/such/report.xml"])
            .absent("no"),
        bad("junit-is-a-directory", &["run", "--filter", "echo", "--junit", "{dir}/report.xml"], &["--junit {dir}/report.xml", "is a directory"])
            .file("report.xml/keep", ""),
        bad("junit-adapter-cannot-start", &["run", "--adapter", "nosuchprogram", "--junit", "{dir}/report.xml"], &["--adapter `nosuchprogram`"])
            .absent("report.xml"),
        // run: adapters that cannot start or greet: the run cannot begin.
        bad("run-adapter-no-such-program", &["run", "--adapter", "nosuchprogram"], &["--adapter `nosuchprogram`", "cannot start adapter"]),
        bad("run-adapter-greets-with-text", &["run", "--adapter", "python3 -c print('hello')"], &["--adapter", "handshake is not JSON"]),
        bad("run-adapter-exits-silently", &["run", "--adapter", "true"], &["--adapter `true`", "exited before its handshake"]),
        bad(
            "run-adapter-bad-handshake",
            &["run", "--filter", "start-returns", "--adapter", malformed("bad-handshake")],
            &["--adapter", "the handshake is wrong at `/capabilities`"],
        ),
        // run: adapters that break the protocol during a case: the case fails, exit 1.
        bad(
            "run-adapter-answer-not-json",
            &["run", "--filter", "start-returns", "--adapter", malformed("not-json")],
            &["FAIL start-returns", "the answer to `start` (request 3) is not JSON"],
        )
        .verdict(1),
        bad(
            "run-adapter-wrong-field",
            &["run", "--filter", "start-returns", "--adapter", malformed("bad-kind")],
            &["FAIL start-returns", "`start` (request 3) is wrong at `/outcome/error/kind`"],
        )
        .verdict(1),
        bad(
            "run-adapter-missing-field",
            &["run", "--filter", "start-returns", "--adapter", malformed("missing-state")],
            &["FAIL start-returns", "`start` (request 3) is wrong at `/`", "state"],
        )
        .verdict(1),
        bad(
            "run-adapter-wrong-id",
            &["run", "--filter", "start-returns", "--adapter", malformed("wrong-id")],
            &["FAIL start-returns", "`start` (request 3) carries `id` 4"],
        )
        .verdict(1),
        bad(
            "run-adapter-refuses",
            &["run", "--filter", "start-returns", "--adapter", malformed("refuse")],
            &["FAIL start-returns", "refused it", "`start` (request 3)"],
        )
        .verdict(1),
        bad(
            "run-adapter-bad-counters",
            &["run", "--filter", "start-returns", "--adapter", malformed("bad-counters")],
            &["FAIL start-returns", "`counters` (request 1) is wrong at `/live_instances`"],
        )
        .verdict(1),
        // mutants
        bad("mutants-unknown-flag", &["mutants", "--bogus"], &["--bogus"]),
        bad("mutants-format", &["mutants", "--format", "nosuch"], &["--format"]),
        bad("mutants-format-no-value", &["mutants", "--format"], &["--format"]),
        bad("mutants-mutant", &["mutants", "--mutant", "fuel-set-twice"], &["`fuel-set-twice`", "fuel-set-once"]),
        bad("mutants-mutant-no-value", &["mutants", "--mutant"], &["--mutant"]),
        // adapter
        bad("adapter-unknown-flag", &["adapter", "--bogus"], &["--bogus"]),
        bad("adapter-runtime", &["adapter", "--runtime", "nosuch"], &["nosuch"]),
        bad("adapter-runtime-faulty", &["adapter", "--runtime", "faulty:nosuch"], &["`nosuch`"]),
        bad("adapter-allocator", &["adapter", "--allocator", "nosuch"], &["--allocator"]),
        bad("adapter-runtime-no-value", &["adapter", "--runtime"], &["--runtime"]),
        // bench
        bad("bench-unknown-flag", &["bench", "--bogus"], &["--bogus"]),
        bad("bench-argument", &["bench", "extra"], &["extra"]),
        bad("bench-value-for-a-switch", &["bench", "--json=yes"], &["--json"]),
        bad("bench-html-no-value", &["bench", "--html"], &["--html"]),
        // An unwritable page is found before the bench runs (a whole bench, not --quick,
        // would outlast the row's deadline), and leaves nothing behind.
        bad("bench-html-dir-missing", &["bench", "--json", "--html", "{dir}/no/bench.html"], &["--html {dir}/no/bench.html", "No such file or directory"])
            .absent("no"),
        bad("bench-html-is-a-directory", &["bench", "--html", "{dir}/bench.html"], &["--html {dir}/bench.html", "is a directory"])
            .file("bench.html/keep", ""),
        bad("bench-html-under-a-file", &["bench", "--html", "{dir}/file/bench.html"], &["--html {dir}/file/bench.html", "Not a directory"])
            .file("file", "a file"),
        // Not writable even by root (the tests may run as root, which ignores modes).
        bad("bench-html-no-permission", &["bench", "--html", "/sys/lk-bench.html"], &["--html /sys/lk-bench.html"]),
        // soak
        bad("soak-unknown-flag", &["soak", "--bogus"], &["--bogus"]),
        bad("soak-cycles-zero", &["soak", "--cycles", "0"], &["--cycles"]),
        bad("soak-cycles-word", &["soak", "--cycles", "many"], &["--cycles"]),
        bad("soak-cycles-no-value", &["soak", "--cycles"], &["--cycles"]),
        bad("soak-allocator", &["soak", "--allocator", "nosuch"], &["--allocator"]),
        // fuzz, and its corpus (cases it writes and replays)
        bad("fuzz-unknown-flag", &["fuzz", "--bogus"], &["--bogus"]),
        bad("fuzz-argument", &["fuzz", "extra"], &["extra"]),
        bad("fuzz-runtime", &["fuzz", "--runtime", "nosuch"], &["nosuch"]),
        bad("fuzz-mutant", &["fuzz", "--runtime", "faulty:nosuch"], &["nosuch"]),
        bad("fuzz-against", &["fuzz", "--cases", "1", "--against", "nosuch"], &["nosuch"]),
        bad("fuzz-abi", &["fuzz", "--abi", "all"], &["--abi", "all"]),
        bad(
            "fuzz-against-with-components",
            &["fuzz", "--cases", "1", "--abi", "component", "--against", "wasmi"],
            &["--against", "wasm-smith", "--abi component"],
        ),
        bad("fuzz-seconds-zero", &["fuzz", "--seconds", "0"], &["--seconds"]),
        bad("fuzz-seconds-word", &["fuzz", "--seconds", "long"], &["--seconds"]),
        bad("fuzz-cases-negative", &["fuzz", "--cases", "-3"], &["-3"]),
        bad("fuzz-seconds-and-cases", &["fuzz", "--seconds", "5", "--cases", "5"], &["--cases"]),
        bad("fuzz-seed-word", &["fuzz", "--seed", "lucky"], &["--seed"]),
        bad("fuzz-jobs-zero", &["fuzz", "--jobs", "0"], &["--jobs"]),
        bad("fuzz-allocator", &["fuzz", "--allocator", "nosuch"], &["--allocator"]),
        bad("fuzz-adapter", &["fuzz", "--cases", "1", "--adapter", "nosuchprogram-xyz"], &["--adapter", "nosuchprogram-xyz"]),
        bad("fuzz-expectations-missing", &["fuzz", "--cases", "1", "--expectations", "{dir}/nope.toml"], &["nope.toml"]),
        bad("fuzz-expectations-neither", &["fuzz", "--cases", "1", "--expectations", "{dir}/x.toml"], &["x.toml", "signature"])
            .file("x.toml", "[[xfail]]\nreason = \"why\"\n"),
        bad("fuzz-expectations-both", &["fuzz", "--cases", "1", "--expectations", "{dir}/x.toml"], &["x.toml", "exactly one"])
            .file("x.toml", "[[xfail]]\ncase = \"a\"\nsignature = \"LC-\"\nreason = \"why\"\n"),
        bad("fuzz-corpus-is-a-file", &["fuzz", "--cases", "1", "--corpus", "{dir}/corpus"], &["--corpus", "not a directory"])
            .file("corpus", "not a directory"),
        bad("fuzz-corpus-syntax", &["fuzz", "--cases", "1", "--corpus", "{dir}/corpus"], &["broken.toml"])
            .file("corpus/broken.toml", "[[case]\n"),
        bad("fuzz-corpus-unknown-key", &["fuzz", "--cases", "1", "--corpus", "{dir}/corpus"], &["mine.toml", "bogus"])
            .file("corpus/mine.toml", case(&format!("wat = \"(module)\"\n{EXPECT}\nbogus = 1"))),
        bad("fuzz-corpus-expect-and-invariants", &["fuzz", "--cases", "1", "--corpus", "{dir}/corpus"], &["mine.toml", "invariants"])
            .file("corpus/mine.toml", case(&format!("wat = \"(module)\"\n{EXPECT}\ninvariants = true"))),
        bad("fuzz-corpus-memory-after", &["fuzz", "--cases", "1", "--corpus", "{dir}/corpus"], &["mine.toml", "memory_after"])
            .file("corpus/mine.toml", case("wat = \"(module)\"\nsteps = [\"start\"]\nexpect = { final_state = \"ready\", transitions = [], ops = [], memory_after = [1, 2] }")),
        bad("fuzz-corpus-duplicate-id", &["fuzz", "--cases", "1", "--corpus", "{dir}/corpus"], &["mine"])
            .file("corpus/a.toml", case(&format!("wat = \"(module)\"\n{EXPECT}")))
            .file("corpus/b.toml", case(&format!("wat = \"(module)\"\n{EXPECT}"))),
        // fuzz --import: a crash file of a libFuzzer target (fuzz/) that is no input of it
        // (conformance/src/fuzz/input.rs) is refused with nothing run and nothing written
        bad("fuzz-import-missing", &["fuzz", "--import", "{dir}/nope", "--corpus", "{dir}/c"], &["--import", "nope"]).absent("c"),
        bad("fuzz-import-directory", &["fuzz", "--import", "{dir}/d", "--corpus", "{dir}/c"], &["--import", "d"])
            .file("d/x", "x").absent("c"),
        bad("fuzz-import-empty", &["fuzz", "--import", "{dir}/crash", "--corpus", "{dir}/c"], &["crash", "`trial`", "empty"])
            .file("crash", "").absent("c"),
        bad("fuzz-import-too-long", &["fuzz", "--import", "{dir}/crash", "--corpus", "{dir}/c"], &["crash", "4097 bytes", "4096"])
            .file("crash", vec![1u8; 4097]).absent("c"),
        bad("fuzz-import-smith-too-long", &["fuzz", "--fuzz-target", "smith", "--import", "{dir}/crash", "--corpus", "{dir}/c"], &["crash", "`smith`", "16386 bytes"])
            .file("crash", vec![1u8; 16386]).absent("c"),
        bad("fuzz-import-wasm-module", &["fuzz", "--import", "{dir}/m.wasm", "--corpus", "{dir}/c"], &["m.wasm", "wasm module"])
            .file("m.wasm", b"\0asm\x01\0\0\0").absent("c"),
        bad("fuzz-import-text", &["fuzz", "--fuzz-target", "smith", "--import", "{dir}/m.wat", "--corpus", "{dir}/c"], &["m.wat", "text"])
            .file("m.wat", "(module)\n").absent("c"),
        bad("fuzz-import-case-file", &["fuzz", "--import", "{dir}/case.toml", "--corpus", "{dir}/c"], &["case.toml", "text"])
            .file("case.toml", case(&format!("wat = \"(module)\"\n{EXPECT}"))).absent("c"),
        bad("fuzz-import-target", &["fuzz", "--fuzz-target", "nosuch", "--import", "{dir}/crash"], &["--fuzz-target", "nosuch"])
            .file("crash", [7u8]),
        bad("fuzz-fuzz-target-without-import", &["fuzz", "--fuzz-target", "smith"], &["--import"]),
        bad("fuzz-import-with-seconds", &["fuzz", "--seconds", "5", "--import", "{dir}/crash"], &["--seconds", "--import"])
            .file("crash", [7u8]),
        bad("fuzz-import-with-against", &["fuzz", "--against", "wasmi", "--import", "{dir}/crash"], &["--against", "--import"])
            .file("crash", [7u8]),
        bad("fuzz-import-component", &["fuzz", "--abi", "component", "--import", "{dir}/crash", "--corpus", "{dir}/c"], &["--import", "--abi component"])
            .file("crash", [7u8]).absent("c"),
        bad("fuzz-libfuzzer-inputs-is-a-file", &["fuzz", "--cases", "1", "--libfuzzer-inputs", "{dir}/inputs"], &["--libfuzzer-inputs", "not a directory"])
            .file("inputs", "a file"),
        bad("run-one-case-file-broken", &["run", "--cases", "{dir}/one.toml"], &["one.toml", "bogus"])
            .file("one.toml", case(&format!("wat = \"(module)\"\n{EXPECT}\nbogus = 1"))),
        bad("mutants-fuzz-seconds-zero", &["mutants", "--fuzz-seconds", "0"], &["--fuzz-seconds"]),
        bad("mutants-corpus-without-fuzz", &["mutants", "--corpus", "{dir}/c"], &["--fuzz-seconds"]).absent("c"),
    ]
}

/// What a command printed and how it ended; `None` if it was killed for taking too long.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[String]) -> Ran {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = command(&args)
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        code,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Every file and directory under `dir`, relative to it.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            all.push(path.strip_prefix(dir).unwrap().to_path_buf());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path);
            }
        }
    }
    all.sort();
    all
}

/// What is wrong with `row`'s run, if anything.
fn check(row: &Row) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("lk-bad-{}-{}", row.name, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (path, contents) in &row.files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    let given = listing(&dir);
    let fill = |s: &str| {
        s.replace("{dir}", dir.to_str().unwrap())
            .replace("{kit}", KIT)
    };
    let args: Vec<String> = row.args.iter().map(|a| fill(a)).collect();
    let ran = run(&args);
    let mut wrong = Vec::new();
    if ran.code != Some(row.code) {
        wrong.push(format!("exit status {:?}, not {}", ran.code, row.code));
    }
    for text in [&ran.stdout, &ran.stderr] {
        if text.contains("panicked") || text.contains("RUST_BACKTRACE") {
            wrong.push("a panic".into());
        }
    }
    let (said, quiet, quiet_name) = match row.says {
        Says::Stderr => (&ran.stderr, &ran.stdout, "stdout"),
        Says::Stdout => (&ran.stdout, &ran.stderr, "stderr"),
    };
    if !quiet.is_empty() {
        wrong.push(format!("{quiet_name} is not empty"));
    }
    if row.says == Says::Stderr {
        let lines: Vec<&str> = ran.stderr.lines().collect();
        if lines.len() != 1 || lines[0].trim().is_empty() {
            wrong.push(format!("stderr is {} lines, not one", lines.len()));
        }
    }
    for name in &row.names {
        let name = fill(name);
        if !said.contains(&name) {
            wrong.push(format!("the message does not name {name:?}"));
        }
    }
    for path in &row.absent {
        if dir.join(path).exists() {
            wrong.push(format!("{path} was left behind"));
        }
    }
    let after = listing(&dir);
    if after != given {
        wrong.push(format!(
            "the directory held {given:?} and now holds {after:?}"
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    if wrong.is_empty() {
        return wrong;
    }
    vec![format!(
        "{}: {}\n    lifecycle-kit {}\n    stdout: {}\n    stderr: {}",
        row.name,
        wrong.join("; "),
        args.join(" "),
        ran.stdout.trim_end().replace('\n', "\n            "),
        ran.stderr.trim_end().replace('\n', "\n            "),
    )]
}

/// Every row, two at a time (the machine has two cores); every failing row reported.
#[test]
fn bad_input_everywhere_is_one_line_and_exit_2() {
    let rows = rows();
    let mut names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), rows.len(), "row names are unique");
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while let Some(row) = rows.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let wrong = check(row);
                    failures.lock().unwrap().extend(wrong);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
