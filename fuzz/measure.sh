#!/usr/bin/env bash
# Time to find each mutant, libFuzzer's targets against lifecycle-kit's own loop, on the
# same wall-clock budget, one after the other in the same session; then the coverage each
# reaches on the reference runtime. The README's table (## Fuzzing on libFuzzer) and
# docs/fuzzing.md's come from this script.
#
#   fuzz/measure.sh                    every mutant of docs/mutants.md's table, 20 s each
#   fuzz/measure.sh -s 10 NAME...      these mutants, 10 s each
#   fuzz/measure.sh --no-seeds ...     libFuzzer from an empty corpus, not fuzz/seeds/
#   fuzz/measure.sh --coverage         the coverage comparison only
#   fuzz/measure.sh -r 5 NAME...       each side 5 times (the loop at seeds 0..4, libFuzzer
#                                      at -seed 1..10): how many runs find it, the median
#
# Per mutant:
# * the loop: `lifecycle-kit fuzz --runtime faulty:NAME --stop-at-first --seconds S`
#   (release build, --features defects), its own count of seconds and cases to the find;
# * libFuzzer: two `trial` processes at once (the loop runs two cases at a time on the
#   two cores, four drawn trials in five; every mutant it finds but one it finds with a
#   trial), each for S seconds with LIFECYCLE_FUZZ_RUNTIME=faulty:NAME, from fuzz/seeds/;
#   the first to crash finds it, and the other is stopped. Time and inputs to the find
#   are the process's own (its panic line), from its first input; libFuzzer's start-up
#   is not counted, nor is the loop's.
# * the crash imported (`fuzz --import CRASH --corpus DIR`), and the case it writes run
#   by its reproduce line: it must fail on the mutant and pass on the reference runtime.
#
# Output: one Markdown row per mutant on stdout; logs in $OUT (default a new temporary
# directory). Needs nightly and cargo-fuzz (docs/fuzzing.md#on-libfuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
seeds=fuzz/seeds
coverage_only=false
runs=1
while [ $# -gt 0 ]; do
    case "$1" in
        -s) seconds=$2; shift 2 ;;
        -r) runs=$2; shift 2 ;;
        --no-seeds) seeds=""; shift ;;
        --coverage) coverage_only=true; shift ;;
        -*) echo "measure.sh: unknown flag $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
mutants=("$@")
if [ ${#mutants[@]} -eq 0 ]; then
    # The rows of docs/mutants.md's time-to-kill table.
    mapfile -t mutants < <(sed -n 's/^| `\([a-z0-9-]*\)` | \(yes\|no\) |.*/\1/p' docs/mutants.md)
fi
out=${OUT:-$(mktemp -d /tmp/lifecycle-measure.XXXXXX)}
mkdir -p "$out"
echo "logs: $out" >&2

# KIT: a lifecycle-kit built so already (release, --features defects), else built here.
kit=${KIT:-}
if [ -z "$kit" ]; then
    cargo build --release --features defects --quiet
    target_dir=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    kit=$target_dir/release/lifecycle-kit
fi
# FUZZ_BIN: the targets built so already (their directory), else built here.
bin=${FUZZ_BIN:-fuzz/target/x86_64-unknown-linux-gnu/release}
if [ -z "${FUZZ_BIN:-}" ]; then
    (cd fuzz && cargo +nightly fuzz build -O -s none --codegen-units 16 >&2)
fi
max_len() { [ "$1" = trial ] && echo 4096 || echo 16385; }

# libfuzzer RUNTIME DIR TARGET TARGET: two target processes at once (the same target twice,
# or each) for $seconds, at libFuzzer's -seed 1 + 2 RUN + i (RUN: $run, else 0); prints `TARGET SECONDS INPUTS CRASH` for the first crash, or
# `- - EXECS -` with both processes' executions. Process i logs to DIR/TARGET-i.log,
# keeps its corpus in DIR/corpus-TARGET-i, and writes its crash as DIR/TARGET-i-crash-*.
libfuzzer() {
    local runtime=$1 dir=$2 pids=() names=() i t
    for i in 0 1; do
        t=${*:3+i:1}
        names+=("$t-$i")
        mkdir -p "$dir/corpus-$t-$i"
        LIFECYCLE_FUZZ_RUNTIME=$runtime "$bin/$t" -max_total_time="$seconds" -timeout=60 \
            -max_len="$(max_len "$t")" -len_control=0 -print_final_stats=1 \
            -seed=$((1 + 2 * ${run:-0} + i)) \
            -artifact_prefix="$dir/$t-$i-" "$dir/corpus-$t-$i" ${seeds:+"$seeds/$t"} \
            >"$dir/$t-$i.log" 2>&1 &
        pids+=($!)
    done
    local found="" began=$SECONDS n
    while [ -z "$found" ] && { kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null; }; do
        for i in 0 1; do
            if grep -q "input fails on" "$dir/${names[i]}.log" 2>/dev/null; then found=$i; break; fi
        done
        # libFuzzer checks its -max_total_time between inputs: a slow one overruns it.
        if [ -z "$found" ] && [ $((SECONDS - began)) -gt $((seconds + 5)) ]; then
            for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
        fi
        sleep 0.2
    done
    if [ -n "$found" ]; then
        # The other process stops (SIGKILL: libFuzzer's SIGTERM handler prints its
        # statistics inside the signal handler, which can deadlock against a thread of the
        # runtime under test); the one that found it ends by itself, crash file written.
        kill -9 "${pids[1 - found]}" 2>/dev/null || true
    fi
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -z "$found" ]; then
        for i in 0 1; do
            if grep -q "input fails on" "$dir/${names[i]}.log"; then found=$i; break; fi
        done
    fi
    if [ -n "$found" ]; then
        local line crash
        line=$(grep -m1 "input fails on" "$dir/${names[found]}.log")
        crash=$(ls "$dir/${names[found]}"-crash-* 2>/dev/null | head -1 || true)
        # "(after 1.2 s and 34 inputs)"
        echo "${names[found]%-*} $(sed -n 's/.*(after \([0-9.]*\) s and \([0-9]*\) inputs).*/\1 \2/p' <<<"$line") ${crash:--}"
    else
        local execs=0
        for i in 0 1; do
            # Its final count, or (stopped) the last input it reported.
            n=$(sed -n -e 's/^stat::number_of_executed_units: *//p' -e 's/^#\([0-9]*\)\t.*/\1/p' "$dir/${names[i]}.log" | tail -1)
            execs=$((execs + ${n:-0}))
        done
        echo "- - $execs -"
    fi
}

# loop_run MUTANT DIR SEED: the loop's row cell, "S (CASES)" or "- (CASES)".
loop_run() {
    "$kit" fuzz --runtime "faulty:$1" --stop-at-first --seconds "$seconds" --shrink-secs 1 \
        --seed "$3" --json >"$2/loop.json" 2>/dev/null || true
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
f = r["found"]
print("%.1f (%d)" % (f[0]["seconds_until_found"], f[0]["cases_until_found"]) if f else "- (%d)" % r["cases"])
' "$2/loop.json"
}

# found_of CELL...: "K of N, median S s" over cells "S (COUNT)" or "- (COUNT)".
found_of() {
    python3 -c '
import statistics, sys
found = [float(c.split()[0]) for c in sys.argv[1:] if not c.startswith("-")]
n = len(sys.argv) - 1
print("%d of %d" % (len(found), n) + (", median %.1f s" % statistics.median(found) if found else ""))
' "$@"
}

if ! $coverage_only && [ "$runs" -gt 1 ]; then
    echo "| mutant | loop: runs that find it in ${seconds} s (seeds 0..$((runs - 1))) | libFuzzer: runs that find it (-seed 1..$((2 * runs))) |"
    echo "|---|---|---|"
    for m in "${mutants[@]}"; do
        loops=() lfs=()
        for ((run = 0; run < runs; run++)); do
            dir=$out/$m/run-$run
            mkdir -p "$dir"
            loops+=("$(loop_run "$m" "$dir" "$run")")
            read -r target secs inputs crash < <(libfuzzer "faulty:$m" "$dir" trial trial)
            if [ "$target" = "-" ]; then lfs+=("- ($inputs)"); else lfs+=("$secs ($inputs)"); fi
        done
        echo "| \`$m\` | $(found_of "${loops[@]}") | $(found_of "${lfs[@]}") |"
    done
elif ! $coverage_only; then
    echo "| mutant | loop: s (cases) | libFuzzer: s (inputs), target | imported case: mutant / reference |"
    echo "|---|---:|---:|---|"
    for m in "${mutants[@]}"; do
        dir=$out/$m
        mkdir -p "$dir"
        loop=$(loop_run "$m" "$dir" 0)
        read -r target secs inputs crash < <(libfuzzer "faulty:$m" "$dir" trial trial)
        if [ "$target" = "-" ]; then
            lf="- ($inputs)"
            imported="-"
        else
            lf="$secs ($inputs), $target"
            # The crash as a corpus case, run by its reproduce line on the mutant and on
            # the reference runtime.
            imported="not imported"
            # (A shrink ends between batches: one of guests that outlast their stop can
            # take minutes, so the import has a bound of its own.)
            if ! timeout -s KILL 90 "$kit" fuzz --runtime "faulty:$m" --fuzz-target "$target" \
                --import "$crash" --corpus "$dir/corpus" --shrink-secs 10 >"$dir/import.txt" 2>&1; then
                repro=$(sed -n 's/^  reproduce: lifecycle-kit //p' "$dir/import.txt" | head -1)
                if [ -n "$repro" ]; then
                    set +e
                    "$kit" $repro >/dev/null 2>&1; on_mutant=$?
                    "$kit" ${repro/--runtime faulty:$m/--runtime reference} >/dev/null 2>&1; on_reference=$?
                    set -e
                    imported="exit $on_mutant / exit $on_reference"
                fi
            fi
        fi
        echo "| \`$m\` | $loop | $lf | $imported |"
    done
fi

if $coverage_only || { [ ${#mutants[@]} -gt 1 ] && [ "$runs" -eq 1 ]; }; then
    # Coverage on the reference runtime: the edges of the target binaries (libFuzzer's
    # `cov:` of a -runs=0 pass over a corpus) that the loop's draws of S seconds reach,
    # written as the targets' inputs, against those libFuzzer's own S seconds reach (one
    # process of each target, the two at once).
    dir=$out/coverage
    mkdir -p "$dir"
    "$kit" fuzz --runtime reference --seconds "$seconds" --libfuzzer-inputs "$dir/loop" \
        --json >"$dir/loop.json" 2>/dev/null || true
    libfuzzer reference "$dir" trial smith >/dev/null
    cov() { "$bin/$1" -runs=0 -max_len="$(max_len "$1")" "${@:2}" 2>&1 |
        sed -n 's/.*INITED cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p' | tail -1; }
    echo
    echo "| coverage on reference, ${seconds} s | trial target | smith target |"
    echo "|---|---|---|"
    echo "| the loop's draws | $(cov trial "$dir/loop/trial") ($(ls "$dir/loop/trial" | wc -l) inputs) | $(cov smith "$dir/loop/smith") ($(ls "$dir/loop/smith" | wc -l) inputs) |"
    echo "| libFuzzer's corpus | $(cov trial "$dir/corpus-trial-0" ${seeds:+"$seeds/trial"}) | $(cov smith "$dir/corpus-smith-1" ${seeds:+"$seeds/smith"}) |"
fi
