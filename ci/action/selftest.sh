#!/usr/bin/env bash
# Runs the composite action's scripts as the example workflow (ci/conformance.yml) would,
# here: install, a 3-shard matrix through the Python example adapter, and the merge, then
# checks the exit statuses, the reports and the page. Four matrices:
#   1. the adapter as it is, with its expectations file: every shard and the merge pass;
#   2. tests/adapters/warnings_dropped.py (an injected defect): exactly the shards whose
#      reports hold a failure exit 1, and the merge still writes the page and exits 1;
#   3. the expectations plus a case the adapter passes: the shard that holds that case
#      exits 1 naming the stale expectation, the other shards (which list it but do not
#      hold it) pass, and the merge fails; an expectation that no shard runs is named by
#      the merge, and fails it only when asked;
#   4. an adapter that does not start: the shard exits 2 and leaves no report, and the
#      merge of the other shards names the missing one and fails.
# The suite is cut to what keeps this quick and still fails for the defect: `--abi core
# --filter LC-STOP-2`.
#
# Environment:
#   LIFECYCLE_KIT  the kit binary the matrices run (required: CI points it at the test
#                  build's, target/debug/lifecycle-kit, instead of installing again)
#   LIFECYCLE_KIT_SELFTEST_INSTALL
#                  `skip` to leave install.sh out; else install.sh installs this checkout
#                  (`cargo install --path . --debug --locked --root TMP`), sharing the
#                  target directory of CARGO_TARGET_DIR if set, and then again, as a
#                  cache hit. Sharing it re-links CARGO_TARGET_DIR/debug/lifecycle-kit as
#                  the installed build (without the tests' `defects` feature) until the
#                  next `cargo build` or `cargo test` there links it back; the matrices
#                  run a copy of LIFECYCLE_KIT made before the install.
# Exit 0 when every check holds; 1 at the first that does not, naming it.
# `A && B || fail ...` is meant as it reads: fail unless both hold.
# shellcheck disable=SC2015
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
kit=${LIFECYCLE_KIT:-}
if [[ -z $kit || ! -x $kit ]]; then
    echo "selftest: set LIFECYCLE_KIT to a lifecycle-kit binary (\`cargo build\` makes target/debug/lifecycle-kit); it is \`$kit\`" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/lifecycle-kit-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A copy: installing into a shared target directory re-links its debug/lifecycle-kit
# (the next `cargo build` or `cargo test` links the test build's back).
cp "$kit" "$work/kit"
kit=$work/kit
# The scripts must not write GitHub's files from here, even when this runs on GitHub.
unset GITHUB_ACTIONS GITHUB_OUTPUT GITHUB_PATH GITHUB_STEP_SUMMARY
began=$SECONDS
checks=0

say() { printf '== [%ss] %s\n' "$((SECONDS - began))" "$*"; }
fail() {
    echo "selftest: FAILED: $*" >&2
    exit 1
}
check() {
    checks=$((checks + 1))
    echo "   ok: $*"
}
# Runs a script, its output indented into the log and kept in $work/NAME.log; sets $status.
run_logged() {
    local name=$1
    shift
    status=0
    "$@" >"$work/$name.log" 2>&1 || status=$?
    sed 's/^/   | /' "$work/$name.log"
}
export LIFECYCLE_KIT=$kit
run_flags=(--abi core --filter LC-STOP-2)
export KIT_RUN_FLAGS="${run_flags[*]}"
shards=3
python_dir=$repo/conformance/adapters/python
expectations=$python_dir/expectations.toml

# install.sh ------------------------------------------------------------------------------
if [[ ${LIFECYCLE_KIT_SELFTEST_INSTALL:-} == skip ]]; then
    say "install.sh: SKIPPED (LIFECYCLE_KIT_SELFTEST_INSTALL=skip); the matrices use $kit"
else
    say "install.sh from this checkout (cargo install --path --debug, target dir ${CARGO_TARGET_DIR:-a temporary one})"
    export LIFECYCLE_KIT_SOURCE=$repo LIFECYCLE_KIT_ROOT=$work/install LIFECYCLE_KIT_CARGO_FLAGS=--debug
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -1)
    export LIFECYCLE_KIT_VERSION=$version
    run_logged key "$here/install.sh" --cache-key
    ((status == 0)) && grep -q "^key=lifecycle-kit-.*-$version-" "$work/key.log" &&
        grep -qx "root=$work/install" "$work/key.log" || fail "install.sh --cache-key: exit $status, or no key and root"
    check "install.sh --cache-key names version $version and the root"
    run_logged install "$here/install.sh"
    ((status == 0)) || fail "install.sh exited $status"
    installed=$work/install/bin/lifecycle-kit
    [[ $("$installed" --version) == "lifecycle-kit $version" ]] || fail "the installed binary is not lifecycle-kit $version"
    [[ $(tail -1 "$work/install.log") == "$installed" ]] || fail "install.sh did not print the binary's path last"
    check "install.sh installed lifecycle-kit $version at $installed"
    run_logged install-again "$here/install.sh"
    ((status == 0)) && grep -q 'already installed.*cache hit' "$work/install-again.log" ||
        fail "install.sh a second time: exit $status, or it installed again"
    check "install.sh a second time finds it installed (the cache-hit path)"
    LIFECYCLE_KIT_SOURCE=$work/nowhere run_logged install-bad "$here/install.sh"
    ((status == 2)) || fail "install.sh from a source that is nothing: exit $status, not 2"
    check "install.sh refuses a source that is neither a directory nor a git URL (exit 2)"
    unset LIFECYCLE_KIT_SOURCE LIFECYCLE_KIT_ROOT LIFECYCLE_KIT_CARGO_FLAGS LIFECYCLE_KIT_VERSION
fi

# One matrix: every shard of ADAPTER with EXPECTATIONS into $work/NAME/; each shard's
# status in shard_status[K].
declare -a shard_status
matrix() {
    local name=$1 adapter=$2 exp=$3 k
    say "matrix $name: $shards shards of \`$adapter\`"
    for ((k = 1; k <= shards; k++)); do
        KIT_ADAPTER=$adapter KIT_SHARD=$k KIT_SHARDS=$shards KIT_EXPECTATIONS=$exp \
            KIT_OUT_DIR=$work/$name run_logged "$name-$k" "$here/shard.sh"
        shard_status[k]=$status
        echo "   shard $k/$shards exited $status"
    done
}
# merge NAME [VAR=VALUE...] [-- REPORT...]: merge.sh with that environment and those arguments.
merge() {
    local name=$1
    shift
    local vars=()
    while (($# > 0)) && [[ $1 != -- ]]; do
        vars+=("$1")
        shift
    done
    if (($# > 0)); then shift; fi
    say "merge $name"
    run_logged "$name-merge" env KIT_HTML="$work/$name.html" "${vars[@]}" "$here/merge.sh" "$@"
    echo "   merge exited $status"
}
page_written() {
    [[ -s $work/$1.html ]] && grep -q '<html' "$work/$1.html" && grep -q 'wrote ' "$work/$1-merge.log" ||
        fail "merge $1 did not write its page"
    check "merge $1 wrote the page ($(wc -c <"$work/$1.html") bytes)"
}
failed_in() { jq -r .failed "$work/$1/report-$2.json"; }

# 1. The adapter as it is ---------------------------------------------------------------
adapter="python3 $python_dir/trace_adapter.py $kit"
matrix clean "$adapter" "$expectations"
for ((k = 1; k <= shards; k++)); do
    ((shard_status[k] == 0)) || fail "clean: shard $k exited ${shard_status[k]}"
    [[ -s $work/clean/report-$k.json && -s $work/clean/junit-$k.xml ]] || fail "clean: shard $k wrote no JSON or no JUnit"
done
check "every shard passes and writes report-K.json and junit-K.xml"
total=$(jq -s 'map(.total) | add' "$work"/clean/report-*.json)
one=$("$kit" run --adapter "$adapter" --expectations "$expectations" "${run_flags[@]}" --format json | jq .total)
((total == one)) || fail "the shards hold $total cases, the unsharded run $one"
check "the shards hold the $one cases of the unsharded run"
merge clean KIT_MERGE="$work/clean/report-*.json"
((status == 0)) || fail "clean: merge exited $status"
grep -q "$shards shard(s)" "$work/clean-merge.log" || fail "clean: merge did not merge $shards shards into one column"
page_written clean

# 2. The injected defect ----------------------------------------------------------------
matrix defect "python3 $repo/tests/adapters/warnings_dropped.py $kit" "$expectations"
failing=0
for ((k = 1; k <= shards; k++)); do
    f=$(failed_in defect "$k")
    if ((f > 0)); then want=1 failing=$((failing + 1)); else want=0; fi
    ((shard_status[k] == want)) || fail "defect: shard $k has $f failure(s) but exited ${shard_status[k]}"
    if ((f > 0)); then grep -q '^FAIL ' "$work/defect-$k.log" || fail "defect: shard $k names no failure"; fi
done
((failing > 0)) || fail "defect: no shard found the defect"
check "the $failing shard(s) holding failures exit 1 and name them; the others exit 0"
for ((k = 1; k <= shards; k++)); do
    f=$(failed_in defect "$k")
    j=$(grep -c '<failure' "$work/defect/junit-$k.xml" || true)
    ((j == f)) || fail "defect: shard $k has $f failure(s) in its JSON but $j in its JUnit"
done
check "each shard's JUnit holds its failures"
merge defect KIT_MERGE="$work/defect/report-*.json"
((status == 1)) || fail "defect: merge exited $status, not 1"
grep -q 'case(s) failed' "$work/defect-merge.log" || fail "defect: merge did not say cases failed"
page_written defect

# 3. A stale expectation ----------------------------------------------------------------
stale=cleanup-returns
holder=$(grep -l "\"id\": \"$stale\"" "$work"/clean/report-*.json | sed 's/.*report-\([0-9]*\)\.json/\1/')
[[ -n $holder ]] || fail "no shard of the clean run holds $stale"
{
    cat "$expectations"
    printf '\n[[xfail]]\ncase = "%s"\nreason = "selftest: listed, but the adapter passes it"\n' "$stale"
} >"$work/stale.toml"
matrix stale "$adapter" "$work/stale.toml"
for ((k = 1; k <= shards; k++)); do
    if ((k == holder)); then
        ((shard_status[k] == 1)) || fail "stale: shard $k holds $stale but exited ${shard_status[k]}"
        grep -q "^STALE EXPECTATION $stale: " "$work/stale-$k.log" || fail "stale: shard $k does not name the stale expectation"
    else
        ((shard_status[k] == 0)) || fail "stale: shard $k does not hold $stale but exited ${shard_status[k]}"
    fi
done
check "only shard $holder, which holds $stale, fails, naming the stale expectation"
merge stale KIT_MERGE="$work/stale/report-*.json"
((status == 1)) && grep -q 'stale expectation' "$work/stale-merge.log" || fail "stale: merge exited $status or said nothing of it"
page_written stale
printf '\n[[xfail]]\ncase = "no-such-case"\nreason = "selftest: a case that does not exist"\n' >>"$work/stale.toml"
merge unrun KIT_MERGE="$work/clean/report-*.json" KIT_EXPECTATIONS="$work/stale.toml"
((status == 0)) && grep -qx "UNRUN EXPECTATION no-such-case" "$work/unrun-merge.log" ||
    fail "unrun: merge exited $status or did not name no-such-case"
check "merge names an expectation that no shard ran, and only warns by default"
merge unrun-fail KIT_MERGE="$work/clean/report-*.json" KIT_EXPECTATIONS="$work/stale.toml" KIT_UNRUN_EXPECTATIONS=fail
((status == 1)) || fail "unrun: merge with KIT_UNRUN_EXPECTATIONS=fail exited $status"
check "with KIT_UNRUN_EXPECTATIONS=fail it fails the merge"

# 4. A shard whose run cannot begin -----------------------------------------------------
say "a shard whose adapter does not start"
KIT_ADAPTER=/nonexistent/adapter KIT_SHARD=2 KIT_SHARDS=$shards KIT_OUT_DIR=$work/broken \
    run_logged broken "$here/shard.sh"
((status == 2)) && [[ ! -e $work/broken/report-2.json ]] || fail "broken: exit $status, or a report left behind"
grep -q -- '--adapter' "$work/broken.log" || fail "broken: the kit's reason is not in the log"
check "a shard whose adapter does not start exits 2 and leaves no report"
merge missing -- "$work/clean/report-1.json" "$work/clean/report-3.json"
((status == 1)) && grep -q 'INCOMPLETE' "$work/missing-merge.log" && grep -q 'shard(s) 2 sent no report' "$work/missing-merge.log" ||
    fail "missing: merge of shards 1 and 3 exited $status or did not name shard 2"
page_written missing
merge none KIT_MERGE="$work/nothing/report-*.json"
((status == 1)) || fail "none: merge of no reports exited $status"
check "a merge with no report at all fails"

say "selftest passed: $checks checks"
