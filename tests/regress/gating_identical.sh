#!/usr/bin/env bash
# Clock gating is a simulation speed-up, not part of the model: every regress workload, and
# every bundled trace under back-pressure (a PCIe write landing exactly on the edge of an idle
# clock once moved the end of a replay by a cycle there), gives the same report with the core
# clock ticking every cycle (--no-clock-gating). Left out, as they count the gated clock's
# ticks by definition:
#   summary.active_cycles, counters.active_cycles: ungated, every elapsed cycle is active;
#   blocks[].busy_fraction_of_active: busy cycles over those active cycles;
#   (wall_seconds, active_cycles_per_wall_second, peak_rss_kb: the host's figures, which
#   replay_identical.sh leaves out of every comparison).
# Ungated, the clock must tick exactly the elapsed cycles (summary.cycles): that proves the
# run was ungated and checks how elapsed cycles are counted.
# Usage: gating_identical.sh NICSIM SOURCE_DIR WORK_DIR
set -euo pipefail
nicsim=$1 src=$2 work=$3
here=$(dirname "$0")
# shellcheck source=tests/regress/workloads.sh
source "$here/workloads.sh"
export STRIP_MORE='del(.summary.active_cycles, .counters.active_cycles, .blocks[].busy_fraction_of_active)'
export EXPECT_B='.summary.active_cycles == .summary.cycles'
for w in "${workloads[@]}"; do
  IFS='|' read -r name trace args <<< "$w"
  mkdir -p "$work/$name"
  trace=$(workload_trace "$nicsim" "$work" "$name" "$trace")
  "$here/../cli/replay_identical.sh" "$nicsim" "$work/$name" "$args" "$args --no-clock-gating" "$trace"
done
bp="--line-rate --set mac.rx_fifo_bytes=65536 --set pcie.tags=2 --set dma.write_ops=2 --set placement.cq_entries=32"
mkdir -p "$work/backpressure"
"$here/../cli/replay_identical.sh" "$nicsim" "$work/backpressure" "$bp" "$bp --no-clock-gating" "$src"/traces/*.pcap
# The DDP caches hold the placement engine until a fill lands (stall) or pass segments on
# (bypass): small caches over the impaired workload, multi-entry SGLs.
for miss in stall bypass; do
  c="--set ddp_cache.entries=16 --set ddp_cache.sgl_entries=16 --set ddp_cache.miss=$miss --set driver.allocator=pages"
  mkdir -p "$work/ddp_cache_$miss"
  "$here/../cli/replay_identical.sh" "$nicsim" "$work/ddp_cache_$miss" "$c" "$c --no-clock-gating" "$work/gen_impaired.pcap"
done
