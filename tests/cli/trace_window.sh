#!/usr/bin/env bash
# Waveform windows and triggers: a --trace-window VCD holds only that span of simulated time;
# --trace-on starts recording at the first such event; --fst goes through GTKWave's vcd2fst.
set -euo pipefail
nicsim=$1 inorder=$2 impaired=$3 work=$4
command -v vcd2fst >/dev/null && command -v fst2vcd >/dev/null || { echo "SKIP: gtkwave tools missing"; exit 77; }
mkdir -p "$work"
"$nicsim" replay "$inorder" --vcd "$work/win.vcd" --trace-window 40us:60us > /dev/null
first=$(grep -m1 '^#' "$work/win.vcd" | tr -d '#'); last=$(grep '^#' "$work/win.vcd" | tail -1 | tr -d '#')
[ "$first" -ge 40000000 ] && [ "$last" -le 60000000 ] || { echo "window VCD spans $first..$last ps"; exit 1; }
[ -s "$work/win.gtkw" ] || { echo "no .gtkw for the window"; exit 1; }
"$nicsim" replay "$impaired" --fst "$work/trig.fst" --trace-on framing_lost --trace-for 5us > "$work/trig.txt"
grep -q "framing lost [1-9]" "$work/trig.txt" || { echo "trace lost no framing: trigger not exercised"; exit 1; }
fst2vcd "$work/trig.fst" > "$work/trig.vcd" 2>/dev/null
t0=$(grep -m1 '^#' "$work/trig.vcd" | tr -d '#'); t1=$(grep '^#' "$work/trig.vcd" | tail -1 | tr -d '#')
[ $((t1 - t0)) -le 5000000 ] || { echo "triggered waveform spans $t0..$t1 ps, more than 5 us"; exit 1; }
[ ! -e "$work/trig.fst.tmp.vcd" ] || { echo "temporary VCD left behind"; exit 1; }
# The FST's save file opens the FST, and its translate file lies beside it.
grep -qxF "[dumpfile] \"$(realpath "$work/trig.fst")\"" "$work/trig.gtkw" || { echo "trig.gtkw does not open trig.fst"; exit 1; }
grep -qxF "^1 $(realpath "$work")/trig.tracker_state.txt" "$work/trig.gtkw" && [ -s "$work/trig.tracker_state.txt" ] \
  || { echo "trig.gtkw's translate file is not beside it"; exit 1; }
echo "window $first..$last ps, trigger $t0..$t1 ps"
