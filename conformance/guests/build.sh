#!/bin/sh
# Builds the Rust guest of the component ABI (conformance/guests/rust-actor) and makes it
# a component: conformance/cases/modules/rust-actor.wasm, which the cases `rust-actor-*`
# of conformance/cases/components.toml run. Needs the wasm32-unknown-unknown target
# (`rustup target add wasm32-unknown-unknown`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/guests
out=${1:-$root/conformance/cases/modules/rust-actor.wasm}
cargo build --quiet --release --target wasm32-unknown-unknown \
    --manifest-path "$here/rust-actor/Cargo.toml" --target-dir "$target"
cargo run --quiet -p lifecycle-generators --example componentize -- \
    "$target/wasm32-unknown-unknown/release/rust_actor.wasm" "$out"
echo "$out"
