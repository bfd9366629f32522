//! The one way the tests run the kit's binary, and what several modules read from it.

use lifecycle_conformance::case::{AbiChoice, builtin_dir, load_dir, on_abis};
use lifecycle_conformance::{Case, RunOptions, RunReport};
use serde_json::Value;
use std::process::{Command, Output};

/// The binary under test, as Cargo built it for these tests.
pub const KIT: &str = env!("CARGO_BIN_EXE_lifecycle-kit");

/// The command `lifecycle-kit ARGS`, to be run from the project root: for the runs that
/// need more said (standard input, the environment, a child to watch). Most use [`kit`].
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(KIT);
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Runs `lifecycle-kit ARGS` from the project root, and waits for it.
pub fn kit(args: &[&str]) -> Output {
    command(args).output().expect("the binary runs")
}

/// `lifecycle-kit run --format json ARGS`: the report, whatever the verdict, and the exit
/// status.
pub fn json_run(args: &[&str]) -> (Value, Option<i32>) {
    let out = kit(&[&["run", "--format", "json"][..], args].concat());
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`run {}` printed no JSON report ({e}); stderr:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code())
}

/// The built-in cases, and their run on the reference runtime with the default options:
/// run once in this process, by the first test that asks, and shared (the suite's
/// verdict and snapshots, and the order the mutants' runs take the cases in).
pub async fn reference_suite() -> &'static (Vec<Case>, RunReport) {
    static RUN: tokio::sync::OnceCell<(Vec<Case>, RunReport)> = tokio::sync::OnceCell::const_new();
    RUN.get_or_init(|| async {
        let cases = load_dir(&builtin_dir()).expect("the built-in cases load");
        // As `run` takes them: both ABIs, each core case's component form after it.
        let (cases, _) = on_abis(cases, AbiChoice::All);
        let report = lifecycle_conformance::run_cases(
            lifecycle_runtime::runtimes::reference,
            cases.clone(),
            RunOptions::default(),
        )
        .await;
        (cases, report)
    })
    .await
}

/// What the reference `runtime` shows running `module` (a scenario's module, or its
/// component) through `abi` with the scenario's profile, limits and script, without the
/// engine's words.
pub async fn scenario_summary(
    runtime: &lifecycle_runtime::Runtime,
    s: &lifecycle_generators::scenario::Scenario,
    (module, abi): (Vec<u8>, lifecycle_contract::Abi),
) -> lifecycle_contract::Summary {
    let module = lifecycle_conformance::ModuleSource::Bytes(module.into());
    let limits = s.limits.clone();
    let trace =
        lifecycle_conformance::drive::script(runtime, module, abi, s.profile, limits, &s.script)
            .await
            .expect("a runtime in process always traces");
    trace.summary().without_detail()
}
