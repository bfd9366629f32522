#!/usr/bin/env bash
# Runs one shard of the conformance suite through an adapter, writes its JSON and JUnit
# reports, and says what failed: new failures, and stale expectations (a case listed as
# a known failure that passed). Exits with the run's status: 0 nothing failed, 1 a case
# failed or passed against its expectation, 2 the run could not begin (bad input, an
# adapter that does not start); then no report is left behind.
#
# Environment (the composite action sets it from its inputs):
#   LIFECYCLE_KIT      the kit binary (default: `lifecycle-kit` on PATH)
#   KIT_ADAPTER        the adapter command, as `run --adapter` takes it (required)
#   KIT_SHARD          K, this shard, 1-based (default 1)
#   KIT_SHARDS         N, the number of shards (default 1)
#   KIT_EXPECTATIONS   the expectations file: known failures, each with its reason (optional)
#   KIT_RUN_FLAGS      more `run` flags, split on spaces (`--abi core --jobs 2`, say)
#   KIT_OUT_DIR        where the reports go (default conformance-reports): report-K.json
#                      (`run --format json`) and junit-K.xml
#
# On GitHub Actions it also writes `report`, `junit` and `status` to $GITHUB_OUTPUT, an
# error annotation per failure and per stale expectation, and a summary of the shard to
# $GITHUB_STEP_SUMMARY.
set -euo pipefail

kit=${LIFECYCLE_KIT:-lifecycle-kit}
adapter=${KIT_ADAPTER:-}
k=${KIT_SHARD:-1}
n=${KIT_SHARDS:-1}
expectations=${KIT_EXPECTATIONS:-}
out=${KIT_OUT_DIR:-conformance-reports}
read -ra extra <<<"${KIT_RUN_FLAGS:-}"

fail_input() {
    echo "shard.sh: $*" >&2
    exit 2
}
[[ -n $adapter ]] || fail_input "KIT_ADAPTER (the action's input \`adapter\`) is empty: give the command that starts your adapter"
if ! [[ $k =~ ^[1-9][0-9]*$ && $n =~ ^[1-9][0-9]*$ ]] || ((k > n)); then
    fail_input "shard \`$k\` of \`$n\`: both must be whole numbers with 1 <= shard <= shards"
fi
if [[ -n $expectations && ! -f $expectations ]]; then
    fail_input "expectations file \`$expectations\` does not exist"
fi
command -v jq >/dev/null || fail_input "jq is needed to read the report (apt-get install jq)"

mkdir -p "$out"
report=$out/report-$k.json
junit=$out/junit-$k.xml
args=(run --adapter "$adapter" --shard "$k/$n" --format json --junit "$junit")
if [[ -n $expectations ]]; then args+=(--expectations "$expectations"); fi
args+=("${extra[@]}")

echo "shard $k/$n: $(printf '%q ' "$kit" "${args[@]}")"
status=0
"$kit" "${args[@]}" >"$report.part" || status=$?
if [[ ! -s $report.part ]]; then
    rm -f "$report.part"
    echo "shard $k/$n: the run did not begin (exit $status; the reason is above); no report written" >&2
    exit "$status"
fi
mv "$report.part" "$report"

# What the report says, in a few lines: the totals, then each failure and each stale
# expectation with the first line of its reason and the command that repeats it.
summary=$(jq -r --arg shard "$k/$n" --arg exp "${expectations:-the expectations file}" '
    "shard \($shard): \(.runtime) \(.version): \(.total) cases: \(.passed) passed, \(.failed) failed, \(.unsupported) unsupported, \(.xfail) xfail, \(.xpass) xpass",
    (.cases[] | select(.outcome == "fail") |
        "FAIL \(.id) [\(.clauses | join(", "))]: \(.reason | split("\n")[0])\n  repeat: \(.repro)"),
    (.cases[] | select(.outcome == "xpass") |
        "STALE EXPECTATION \(.id): \(.reason); remove it from \($exp)\n  repeat: \(.repro)")
' "$report")
echo "$summary"

if [[ -n ${GITHUB_ACTIONS:-} ]]; then
    jq -r --arg exp "${expectations:-the expectations file}" '
        (.cases[] | select(.outcome == "fail") |
            "::error title=conformance: \(.id) failed::\(.reason | split("\n")[0] | gsub("%"; "%25"))"),
        (.cases[] | select(.outcome == "xpass") |
            "::error title=conformance: stale expectation \(.id)::\(.id) passed but \($exp) lists it as a known failure: remove it")
    ' "$report"
fi
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
    {
        echo "### lifecycle-kit, shard $k/$n"
        echo '```text'
        echo "$summary"
        echo '```'
    } >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
    printf 'report=%s\njunit=%s\nstatus=%s\n' "$report" "$junit" "$status" >>"$GITHUB_OUTPUT"
fi
exit "$status"
