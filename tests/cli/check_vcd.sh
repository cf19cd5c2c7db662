#!/usr/bin/env bash
# A replay's VCD is well-formed and GTKWave's own converter accepts it.
set -euo pipefail
nicsim=$1 trace=$2 work=$3
command -v vcd2fst >/dev/null || { echo "SKIP: vcd2fst (gtkwave) not found"; exit 77; }
mkdir -p "$work"
"$nicsim" replay "$trace" --vcd "$work/w.vcd" >/dev/null
grep -q '^\$enddefinitions' "$work/w.vcd" || { echo "no \$enddefinitions in VCD"; exit 1; }
grep -q 'active_cycles' "$work/w.vcd" || { echo "clock activity not traced"; exit 1; }
grep -q 'mac_to_l3_level' "$work/w.vcd" || { echo "channels not traced"; exit 1; }
# Value changes after the header, with increasing timestamps.
awk '/^#[0-9]+/{t=substr($0,2)+0; if (t<last) {print "time goes back at " t; exit 1}; last=t; n++} END{if (n<10) {print "too few time steps: " n; exit 1}}' "$work/w.vcd"
vcd2fst "$work/w.vcd" "$work/w.fst" >/dev/null
[ -s "$work/w.fst" ] || { echo "vcd2fst wrote nothing"; exit 1; }
echo "VCD ok: $(grep -c '^\$var' "$work/w.vcd") signals, FST $(stat -c %s "$work/w.fst") bytes"
# The save file opens the same waveform grouped by block: every signal it names exists.
gtkw="${work}/w.gtkw"
[ -s "$gtkw" ] || { echo "no .gtkw save file next to the VCD"; exit 1; }
while read -r sig; do
  leaf=${sig##*.}; leaf=${leaf%%\[*}
  grep -q " $leaf " "$work/w.vcd" || { echo ".gtkw names $sig, absent from the VCD"; exit 1; }
done < <(grep '^SystemC\.' "$gtkw")
echo "gtkw ok: $(grep -c '^SystemC\.' "$gtkw") signals in $(grep -c '^@800200' "$gtkw") groups"
