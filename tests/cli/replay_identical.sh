#!/usr/bin/env bash
# Two ways of running the simulator give the same report on every trace: cycles, counters,
# every command's sha256/placed/crc. Only the wall-clock figures (and crc.impl, which names
# the CRC implementation) may differ.
#   crc.impl=model vs crc.impl=rtl: every CRC register update out of the Verilated RTL;
#   run-ahead vs --no-run-ahead: the clock domain's batching of busy cycles;
#   gated vs --no-clock-gating: idle cycles skipped or ticked (tests/regress/gating_identical.sh);
#   the default vs --no-verify --no-read-digests: only the verdict and the digests go.
#   no waveform vs --vcd: recording one changes nothing.
# Usage: replay_identical.sh NICSIM WORK "ARGS A" "ARGS B" TRACE...
# With EXPECT_B set, run B's report must satisfy that jq expression (that B really ran);
# STRIP_MORE (a jq filter, e.g. "del(.verdict)") removes fields B is expected to change.
set -euo pipefail
nicsim=$1 work=$2 args_a=$3 args_b=$4; shift 4
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
strip="del(.config.crc.impl, .summary.wall_seconds, .summary.active_cycles_per_wall_second, .summary.peak_rss_kb) | ${STRIP_MORE:-.}"
for trace in "$@"; do
  name=$(basename "$trace" .pcap)
  # shellcheck disable=SC2086
  "$nicsim" replay "$trace" $args_a --report "$work/$name.a.json" >/dev/null || [ $? -eq 1 ]
  # shellcheck disable=SC2086
  "$nicsim" replay "$trace" $args_b --report "$work/$name.b.json" >/dev/null || [ $? -eq 1 ]
  if [ -n "${EXPECT_B:-}" ] && [ "$(jq "$EXPECT_B" "$work/$name.b.json")" != true ]; then
    echo "$name: run B ($args_b) fails $EXPECT_B"
    exit 1
  fi
  if ! diff <(jq -S "$strip" "$work/$name.a.json") <(jq -S "$strip" "$work/$name.b.json"); then
    echo "$name: reports differ between \"$args_a\" and \"$args_b\""
    exit 1
  fi
  echo "$name: identical ($(jq '.commands | length' "$work/$name.b.json") commands, $(jq .summary.cycles "$work/$name.b.json") cycles)"
done
