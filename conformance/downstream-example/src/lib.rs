//! Nothing here: see tests/conformance.rs.
