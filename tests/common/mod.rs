//! Helpers shared by the integration tests.

/// Runs the built binary with `args` from the project root, and waits for it.
pub fn lifecycle_kit(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lifecycle-kit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}
