//! The guests the benchmarks run: an empty module, the echo actor, and one that spins
//! in a given lifecycle export.

use lifecycle_contract::Entry;

/// No exports at all: what a start and a stop cost with no guest code.
pub const EMPTY: &str = "(module)";

/// The echo actor: every lifecycle export, each reply the message itself. Its `alloc`
/// reuses one buffer (the one in `examples/echo.wat` bumps, and fills its memory after
/// about 4 000 messages).
pub fn echo() -> String {
    echo_running(None, "")
}

/// The echo actor, except that `entry` loops forever.
pub fn spinning_in(entry: Entry) -> String {
    echo_running(Some(entry), "(loop $l (br $l))")
}

/// The echo actor, except that `entry` (if any) first runs `code`: the template every
/// guest of `bench` and `soak` is made from.
pub(crate) fn echo_running(entry: Option<Entry>, code: &str) -> String {
    let body = |e: Entry, normal: &str| match Some(e) == entry {
        true => format!("{code} {normal}"),
        false => normal.to_string(),
    };
    format!(
        r#"(module
  (memory (export "memory") 1)
  (func (export "_start") {start})
  (func (export "_cleanup") {cleanup})
  (func (export "_health") (result i32) {health})
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "handle-message") (param i32 i32) (result i64) {message}))"#,
        start = body(Entry::Start, ""),
        cleanup = body(Entry::Cleanup, ""),
        health = body(Entry::Health, "(i32.const 0)"),
        message = body(
            Entry::HandleMessage,
            "(i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (local.get 1)))"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_is_valid() {
        for wat in [EMPTY.to_string(), echo()]
            .into_iter()
            .chain(Entry::ALL.iter().map(|&e| spinning_in(e)))
        {
            let bytes = wat::parse_str(&wat).unwrap();
            wasmparser::validate(&bytes).unwrap();
        }
    }
}
