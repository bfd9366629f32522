//! The whole conformance suite from a runtime crate's own `cargo test`.

#[tokio::test(flavor = "multi_thread")]
async fn my_runtime_conforms() {
    let make = lifecycle_runtime::Runtime::new;
    let report = lifecycle_conformance::run_builtin(make, Default::default())
        .await
        .expect("the built-in cases load");
    assert!(!report.failed(), "{}", report.human());
}
