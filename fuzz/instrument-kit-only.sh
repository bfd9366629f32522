#!/usr/bin/env bash
# The rustc wrapper of the fuzz build (fuzz/.cargo/config.toml): coverage instrumentation
# for the kit's own crates only.
#
# cargo-fuzz asks every crate for SanitizerCoverage (`-Cpasses=sancov-module` in RUSTFLAGS),
# and rustc has no allowlist. Instrumented, Wasmtime and Cranelift make every input touch
# some hundred thousand edges: libFuzzer then spends half its time collecting them, and
# keeps inputs for new shapes of compiled code rather than new behaviour of the lifecycle.
# So the pass runs on the kit's crates (lifecycle_*: the runtime, the oracle, the runner,
# the generators) and the targets, and no other; every other flag (a sanitizer's
# included) reaches every crate as cargo-fuzz gave it. docs/fuzzing.md has the figures.
set -euo pipefail
rustc=$1
shift
case " $* " in
*" --crate-name lifecycle_"* | *" --crate-name trial "* | *" --crate-name smith "*)
    exec "$rustc" "$@" ;;
esac
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    -Cpasses=sancov-module) ;;
    -C)
        if [ "${2:-}" = passes=sancov-module ]; then shift; else args+=("$1"); fi ;;
    *) args+=("$1") ;;
    esac
    shift
done
exec "$rustc" "${args[@]}"
