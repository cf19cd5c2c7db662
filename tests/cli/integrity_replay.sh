#!/usr/bin/env bash
# A hostile trace with the NIC placing every read (driver.io_threshold=4K): the replay must
# pass its verdict, no read may end ok with bytes other than the generator's truth, the NIC
# must have placed most of the data (or the test checked the software path only), and the
# integrity checks must have fired (or the trace exercised nothing).
# Usage: integrity_replay.sh NICSIM TRACE WORK_DIR
set -euo pipefail
nicsim=$1 trace=$2 work=$3
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
truth=${trace%.pcap}.truth.json
"$nicsim" replay "$trace" --set driver.io_threshold=4K --report "$work/r.json" > "$work/out.txt"
wrong=$(jq -r --slurpfile t "$truth" '
  ($t[0].commands | map({key: "\(.flow)#\(.order)", value: .sha256}) | from_entries) as $T
  | [.commands[] | select(.status == "ok" and .sha256 != $T["\(.flow)#\(.order)"])] | length' "$work/r.json")
placed=$(jq '.counters.c2h_data_bytes_placed' "$work/r.json")
copied=$(jq '.counters.c2h_data_bytes_copied' "$work/r.json")
fired=$(jq '[.counters.sw_overlap_pdus, .counters.placement_overlap, .counters.placement_after_completion] | add' "$work/r.json")
echo "reads ok with wrong bytes: $wrong; placed $placed, copied $copied; integrity checks fired $fired"
[ "$wrong" -eq 0 ] || { echo "FAIL: $wrong reads ok with wrong bytes"; exit 1; }
[ "$placed" -gt "$copied" ] || { echo "FAIL: the NIC placed less than software copied"; exit 1; }
[ "$fired" -gt 0 ] || { echo "FAIL: no integrity check fired: the trace tests nothing"; exit 1; }
