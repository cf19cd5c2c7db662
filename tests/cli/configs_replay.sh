#!/usr/bin/env bash
# Every preset under configs/ loads, passes validation and replays a bundled trace byte-exact;
# the preset's PCIe rate is the one its gen and lanes name (or its explicit override).
#   configs_replay.sh NICSIM SRC_DIR
set -euo pipefail
nicsim=$1 src=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for c in "$src"/configs/*.json; do
  name=$(basename "$c" .json)
  "$nicsim" replay "$src/traces/inorder_4flows.pcap" --config "$c" --report "$work/$name.json" \
    > "$work/$name.out" 2>&1 || fail "$name: replay failed: $(tail -1 "$work/$name.out")"
  jq -e '.summary.verdict == null or .summary.verdict == "ok"' "$work/$name.json" > /dev/null ||
    fail "$name: verdict"
  grep -q "verdict    all 16 completed reads match the trace byte-exact" "$work/$name.out" ||
    fail "$name: not all reads byte-exact"
  # Gen 1..5: 2.5, 5, 8, 16, 32 GT/s a lane; 8b/10b up to Gen2, 128b/130b after.
  want=$(jq -r '.config.pcie | if .gbps_per_direction > 0 then .gbps_per_direction else
      ([2.5, 5, 8, 16, 32][.gen - 1] * .lanes * (if .gen <= 2 then 0.8 else 128 / 130 end)) end
      | floor' "$work/$name.json")
  grep -q "PCIe $want Gb/s\|PCIe $((want + 1)) Gb/s" "$work/$name.out" ||
    fail "$name: summary does not give PCIe $want Gb/s"
  n=$((n + 1))
done
[ "$n" -ge 7 ] || fail "only $n presets found"
echo "$n presets replay byte-exact"
