#!/usr/bin/env bash
# Merges the shards' JSON reports into one conformance matrix (`lifecycle-kit report
# --html`: the shards of one runtime become one column), then judges the whole run: exit
# 1 if a case failed, an expectation was stale (a listed case passed), or a shard's report
# is missing; else 0. The page is written first, whatever the verdict.
#
#   merge.sh [REPORT.json...]
#
# Environment (the composite action sets it from its inputs):
#   LIFECYCLE_KIT          the kit binary (default: `lifecycle-kit` on PATH)
#   KIT_MERGE              without arguments: the reports to merge, as glob patterns split
#                          on spaces (default conformance-reports/report-*.json)
#   KIT_HTML               the page to write (default conformance.html)
#   KIT_EXPECTATIONS       the expectations file the shards ran with (optional): each case
#                          it lists that no shard ran is reported (a case that no longer
#                          exists, a misspelt id, or one left out by --filter or --abi)
#   KIT_UNRUN_EXPECTATIONS `warn` (default) or `fail`: whether such a case fails the merge
#
# On GitHub Actions it also writes `html` and `status` to $GITHUB_OUTPUT, annotations, and
# the merged totals to $GITHUB_STEP_SUMMARY.
set -euo pipefail

kit=${LIFECYCLE_KIT:-lifecycle-kit}
html=${KIT_HTML:-conformance.html}
expectations=${KIT_EXPECTATIONS:-}
unrun_mode=${KIT_UNRUN_EXPECTATIONS:-warn}

fail_input() {
    echo "merge.sh: $*" >&2
    exit 2
}
[[ $unrun_mode == warn || $unrun_mode == fail ]] ||
    fail_input "KIT_UNRUN_EXPECTATIONS is \`$unrun_mode\`: say \`warn\` or \`fail\`"
command -v jq >/dev/null || fail_input "jq is needed to read the reports (apt-get install jq)"

reports=("$@")
if ((${#reports[@]} == 0)); then
    read -ra patterns <<<"${KIT_MERGE:-conformance-reports/report-*.json}"
    for pattern in "${patterns[@]}"; do
        while IFS= read -r file; do reports+=("$file"); done < <(compgen -G "$pattern" || true)
    done
fi
if ((${#reports[@]} == 0)); then
    echo "merge.sh: no shard report matches \`${KIT_MERGE:-conformance-reports/report-*.json}\`: every shard failed before its run began (see the shards' logs)" >&2
    exit 1
fi

echo "merge: $(printf '%q ' "$kit" report --html "$html" "${reports[@]}")"
"$kit" report --html "$html" "${reports[@]}"

# The whole run's verdict, from the reports themselves.
verdict=$(jq -rs '
    (map(.failed) | add) as $failed | (map(.xpass) | add) as $xpass |
    (map(.meta.shard // empty)) as $shards |
    (if ($shards | length) == 0 then []
     else [range(1; ($shards | map(.n) | max) + 1)] - ($shards | map(.k)) end) as $missing |
    "failed=\($failed)", "xpass=\($xpass)", "missing=\($missing | map(tostring) | join(" "))",
    "ran_all=\(map(.meta | (.filter == null) and (.abi == "all")) | all)"
' "${reports[@]}")
failed=$(sed -n 's/^failed=//p' <<<"$verdict")
xpass=$(sed -n 's/^xpass=//p' <<<"$verdict")
missing=$(sed -n 's/^missing=//p' <<<"$verdict")
ran_all=$(sed -n 's/^ran_all=//p' <<<"$verdict")

# Expectations that no shard ran: the run's own xpass check sees only the cases of its
# shard, so a listed case that exists in no shard is found here, across all of them.
unrun=()
if [[ -n $expectations ]]; then
    [[ -f $expectations ]] || fail_input "expectations file \`$expectations\` does not exist"
    listed=$(python3 -c '
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    for entry in tomllib.load(f).get("xfail", []):
        if "case" in entry:
            print(entry["case"])
' "$expectations") || fail_input "cannot read \`$expectations\` as TOML (python3 3.11 or later reads it)"
    ran=$(jq -r '.cases[].id' "${reports[@]}" | sort -u)
    while IFS= read -r id; do
        [[ -n $id ]] && unrun+=("$id")
    done < <(comm -23 <(sort -u <<<"$listed") <(printf '%s\n' "$ran"))
fi
if ((${#unrun[@]} > 0)); then
    why_unrun="no longer a case, misspelt, or left out of this run"
    if [[ $ran_all != true ]]; then why_unrun+=" (the shards ran with --filter or an --abi other than all, so this may be expected)"; fi
    for id in "${unrun[@]}"; do echo "UNRUN EXPECTATION $id"; done
    echo "merge: ${#unrun[@]} case(s) listed in $expectations ran in no shard: $why_unrun"
    if [[ -n ${GITHUB_ACTIONS:-} ]]; then
        echo "::warning title=conformance: ${#unrun[@]} expectation(s) ran in no shard::${unrun[*]}: $why_unrun"
    fi
fi

status=0
problems=()
if ((failed > 0)); then problems+=("$failed case(s) failed"); fi
if ((xpass > 0)); then problems+=("$xpass stale expectation(s): listed cases that passed"); fi
if [[ -n $missing ]]; then problems+=("shard(s) $missing sent no report"); fi
if ((${#unrun[@]} > 0)) && [[ $unrun_mode == fail ]]; then
    problems+=("${#unrun[@]} expectation(s) ran in no shard")
fi
if ((${#problems[@]} > 0)); then
    status=1
    joined=$(printf '%s; ' "${problems[@]}")
    line="merge: FAILED: ${joined%; }; the matrix is at $html"
else
    line="merge: passed (${#reports[@]} report(s)); the matrix is at $html"
fi
echo "$line"
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then echo "### lifecycle-kit: $line" >>"$GITHUB_STEP_SUMMARY"; fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then printf 'html=%s\nstatus=%s\n' "$html" "$status" >>"$GITHUB_OUTPUT"; fi
exit "$status"
