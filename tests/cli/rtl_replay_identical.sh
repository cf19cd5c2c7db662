#!/usr/bin/env bash
# crc.impl=rtl (every CRC register update out of the Verilated RTL) and crc.impl=model give
# the same report on every trace: cycles, counters, every command's sha256/placed/crc. Only
# the implementation's name and the wall-clock figures may differ.
set -euo pipefail
nicsim=$1 work=$2; shift 2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
strip='del(.config.crc.impl, .summary.wall_seconds, .summary.active_cycles_per_wall_second, .summary.peak_rss_kb)'
for trace in "$@"; do
  name=$(basename "$trace" .pcap)
  for impl in model rtl; do
    "$nicsim" replay "$trace" --set crc.impl=$impl --report "$work/$name.$impl.json" >/dev/null
  done
  [ "$(jq -r .config.crc.impl "$work/$name.rtl.json")" = rtl ] || { echo "$name: rtl run not reported as rtl"; exit 1; }
  if ! diff <(jq -S "$strip" "$work/$name.model.json") <(jq -S "$strip" "$work/$name.rtl.json"); then
    echo "$name: reports differ between crc.impl=model and crc.impl=rtl"
    exit 1
  fi
  echo "$name: identical ($(jq '.commands | length' "$work/$name.rtl.json") commands, $(jq .summary.cycles "$work/$name.rtl.json") cycles)"
done
