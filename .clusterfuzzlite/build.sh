#!/bin/bash -eu
# ClusterFuzzLite's build step (also OSS-Fuzz's): builds the two libFuzzer targets of
# fuzz/ with cargo-fuzz (the image's nightly and its sanitizer flags), and puts each in
# $OUT with its seed corpus (fuzz/seeds/TARGET, zipped as TARGET_seed_corpus.zip) and its
# options (the input's largest size, at once: a draw from a few bytes has every later
# choice its lowest, no steps but start and stop; a minute per input, as a trial runs
# under the runner's own timeouts). The runtime under test is the reference one:
# LIFECYCLE_FUZZ_RUNTIME is unset here (docs/fuzzing.md#on-libfuzzer). The rustc wrapper of
# fuzz/.cargo/config.toml keeps the coverage instrumentation to the kit's own crates.
cd "$SRC/lifecycle-kit/fuzz"
cargo fuzz build -O
release=target/x86_64-unknown-linux-gnu/release
for target in trial smith; do
    cp "$release/$target" "$OUT/"
    zip -qj "$OUT/${target}_seed_corpus.zip" "seeds/$target"/*
done
printf '[libfuzzer]\nmax_len = 4096\nlen_control = 0\ntimeout = 60\n' > "$OUT/trial.options"
printf '[libfuzzer]\nmax_len = 16385\nlen_control = 0\ntimeout = 60\n' > "$OUT/smith.options"
