#!/usr/bin/env bash
# With crc.impl=rtl, a replay's VCD holds the Verilated RTL next to the SystemC signals: its
# ports, its public pipeline registers, and a beat count that moves; GTKWave's converter
# turns the file into an FST.
set -euo pipefail
nicsim=$1 trace=$2 work=$3
command -v vcd2fst >/dev/null || { echo "SKIP: vcd2fst (gtkwave) not found"; exit 77; }
mkdir -p "$work"
"$nicsim" replay "$trace" --set crc.impl=rtl --vcd "$work/w.vcd" >/dev/null
for sig in mac_to_l3_level out_state in_keep 'crc(2)' v_q beats; do
  grep -q "^\$var .* $sig " "$work/w.vcd" || { echo "$sig not traced"; exit 1; }
done
grep -q '^\$scope module crc_rtl ' "$work/w.vcd" || { echo "no crc_rtl scope"; exit 1; }
changes=$(awk '$1 == "$var" && $5 == "beats" {id = $4} id != "" && $1 ~ /^b/ && $2 == id {n++} END {print n + 0}' "$work/w.vcd")
[ "$changes" -gt 10 ] || { echo "the RTL beat count changed $changes times"; exit 1; }
vcd2fst "$work/w.vcd" "$work/w.fst" >/dev/null
[ -s "$work/w.fst" ] || { echo "vcd2fst wrote nothing"; exit 1; }
echo "RTL in the replay VCD: beat count changed $changes times; FST $(stat -c %s "$work/w.fst") bytes"
