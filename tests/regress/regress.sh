#!/usr/bin/env bash
# Cycle-accuracy regression: replays fixed workloads and compares every field of the report
# (cycles, active cycles, every counter, FIFO and block statistics, latency percentiles,
# every command's result) with the baseline in tests/regress/baseline/, so a change meant to
# make the simulator faster cannot change what it simulates. Only host-dependent fields
# (wall time, its rate, peak RSS, the trace's path) are left out.
#
# Usage: regress.sh NICSIM SOURCE_DIR WORK_DIR [--regenerate]
# Regenerate the baselines only when a change is meant to alter timing or results, and say
# so in the commit.
set -euo pipefail
nicsim=$1 src=$2 work=$3 mode=${4:-check}
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
base="$src/tests/regress/baseline"
mkdir -p "$work" "$base"

# name | trace (a bundled pcap, or `gen` arguments after "gen:") | replay arguments
workloads=(
  "impaired_2flows|$src/traces/impaired_2flows.pcap|"
  "inorder_4flows|$src/traces/inorder_4flows.pcap|"
  "ipv6_vlan_hpda|$src/traces/ipv6_vlan_hpda.pcap|"
  "jumbo_small_ios|$src/traces/jumbo_small_ios.pcap|"
  "inorder_4flows_400g|$src/traces/inorder_4flows.pcap|--config $src/configs/400g.json"
  # A misbehaving controller and hostile frames: failed connections, SkDel, skipped PDUs.
  "hostile_3flows|$src/traces/hostile_3flows.pcap|"
  # Every receive-side impairment the generator has, with header and data digests.
  "gen_impaired|gen:--flows 4 --ddgst --hdgst --io-size 4K,32K,128K --ios 120 --loss 0.02 --reorder 0.02 --dup 0.01 --bad-tcp-csum 0.01 --corrupt-ddgst 0.05 --plant-lookalike 0.05 --max-pdu-data 16K --seed 11|"
  # Back-pressure everywhere: idle gaps removed, a small MAC FIFO, few PCIe tags, a short
  # completion ring (blocked channels, DMA and completion-ring stalls).
  "gen_backpressure|gen:--flows 8 --ddgst --io-size 4K,64K --ios 200 --tcp-timestamps --loss 0.005 --seed 5|--line-rate --set mac.rx_fifo_bytes=65536 --set placement.cq_entries=64 --set pcie.max_outstanding=16"
)

# The report without host-dependent fields, the trace named by workload and content.
normalise() {  # report name trace
  jq -S --arg name "$2" --arg sha "$(sha256sum "$3" | cut -d' ' -f1)" \
    'del(.summary.wall_seconds, .summary.active_cycles_per_wall_second, .summary.peak_rss_kb)
     | .trace = {workload: $name, sha256: $sha}' "$1"
}

failed=0
for w in "${workloads[@]}"; do
  IFS='|' read -r name trace args <<< "$w"
  if [[ $trace == gen:* ]]; then
    # shellcheck disable=SC2086
    "$nicsim" gen -o "$work/$name.pcap" ${trace#gen:} > /dev/null
    trace="$work/$name.pcap"
  fi
  # A replay whose verdict finds a mismatch exits 1; its report is compared all the same.
  # shellcheck disable=SC2086
  "$nicsim" replay "$trace" $args --report "$work/$name.raw.json" > /dev/null || [ $? -eq 1 ]
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
