//! The reference lifecycle's own tests, one module per part of the contract
//! (conformance/SPEC.md), in one test binary. `teardown.rs` is a binary of its own: it
//! measures the process's memory, so no other test may allocate beside it.

#[path = "../common/mod.rs"]
mod common;

mod lifecycle;
mod limits;
mod messages;
mod start_steps;
