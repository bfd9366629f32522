//! The integration tests of the root package: one test binary (one link of Wasmtime,
//! Cranelift and wasmi), a module per area. What each covers, and the two tiers:
//! docs/testing.md.
//!
//! `cargo test` runs the default tier; the slow tier is the tests marked
//! `#[ignore = "slow tier: ..."]` (`cargo test -- --ignored` runs them alone,
//! `-- --include-ignored` both tiers). Every module runs the binary under test through
//! [`common`].

mod common;

mod components;

mod adapter;
mod attribution;
mod bad_input;
mod bench_html;
mod catalogue;
mod ci_recipe;
mod cli;
mod doc_links;
mod fuzz;
mod generate;
mod libfuzzer;
mod mutants;
mod report_html;
mod reproduce;
mod run_cli;
mod runner;
mod scale;
mod spec_testsuite;
mod suite;
mod wasmi;
