#!/usr/bin/env bash
# Cycle-accuracy regression: replays fixed workloads and compares every field of the report
# (cycles, active cycles, every counter, FIFO and block statistics, latency percentiles,
# every command's result) with the baseline in tests/regress/baseline/, so a change meant to
# make the simulator faster cannot change what it simulates. Only host-dependent fields
# (wall time, its rate, peak RSS, the trace's path) are left out.
#
# Usage: regress.sh NICSIM SOURCE_DIR WORK_DIR [--regenerate]
# Regenerate the baselines only when a change is meant to alter timing or results, and say
# so in the commit. Another comparison (zero_costs.sh) sets REGRESS_BASELINE (the baseline
# folder under tests/regress/), REGRESS_ARGS (replay arguments after each workload's own) and
# REGRESS_STRIP (a jq filter of report fields left out).
set -euo pipefail
nicsim=$1 src=$2 work=$3 mode=${4:-check}
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
base="$src/tests/regress/${REGRESS_BASELINE:-baseline}"
mkdir -p "$work" "$base"
# shellcheck source=tests/regress/workloads.sh
source "$(dirname "$0")/workloads.sh"

# The report without host-dependent fields, the trace named by workload and content.
normalise() {  # report name trace
  jq -S --arg name "$2" --arg sha "$(sha256sum "$3" | cut -d' ' -f1)" \
    "del(.summary.wall_seconds, .summary.active_cycles_per_wall_second, .summary.peak_rss_kb)
     | .trace = {workload: \$name, sha256: \$sha} | ${REGRESS_STRIP:-.}" "$1"
}

failed=0
for w in "${workloads[@]}"; do
  IFS='|' read -r name trace args <<< "$w"
  trace=$(workload_trace "$nicsim" "$work" "$name" "$trace")
  # A replay whose verdict finds a mismatch exits 1; its report is compared all the same.
  # shellcheck disable=SC2086
  "$nicsim" replay "$trace" $args ${REGRESS_ARGS:-} --report "$work/$name.raw.json" > /dev/null || [ $? -eq 1 ]
  normalise "$work/$name.raw.json" "$name" "$trace" > "$work/$name.json"
  if [ "$mode" = --regenerate ]; then
    cp "$work/$name.json" "$base/$name.json"
    echo "$name: baseline written"
    continue
  fi
  [ -f "$base/$name.json" ] || { echo "$name: no baseline"; failed=1; continue; }
  # Every leaf (and empty container) whose value differs or exists on one side only.
  diffs=$(jq -rn --slurpfile a "$base/$name.json" --slurpfile b "$work/$name.json" '
    def leaves: [paths(type != "object" and type != "array" or length == 0)];
    ($a[0] | leaves) + ($b[0] | leaves) | unique[] as $p
    | ($a[0] | getpath($p)) as $x | ($b[0] | getpath($p)) as $y
    | select($x != $y)
    | "  \($p | map(tostring) | join(".")): baseline \($x | tojson), now \($y | tojson)"')
  if [ -n "$diffs" ]; then
    echo "$name: report differs from the baseline ($(wc -l <<< "$diffs") fields):"
    head -n 40 <<< "$diffs"
    failed=1
  else
    echo "$name: identical ($(jq .summary.active_cycles "$work/$name.json") active cycles, $(jq '.commands | length' "$work/$name.json") commands)"
  fi
done
exit $failed
