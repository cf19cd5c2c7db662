#!/usr/bin/env bash
# The equivalence bench catches a planted difference: one flipped bit of the model's output at
# a chosen cycle makes it exit 1, name that cycle, and write a VCD of the window around it
# that GTKWave's converter accepts.
set -uo pipefail
equiv=$1 work=$2
mkdir -p "$work"
rm -f "$work/mismatch.vcd"
"$equiv" --beats 20000 --inject-fault 5000 --mismatch-vcd "$work/mismatch.vcd" > "$work/out.txt" 2>&1
status=$?
cat "$work/out.txt"
[ "$status" = 1 ] || { echo "exit $status, want 1"; exit 1; }
grep -q '^MISMATCH at cycle 5000 ' "$work/out.txt" || { echo "the mismatch at cycle 5000 was not reported"; exit 1; }
grep -q '^\$enddefinitions' "$work/mismatch.vcd" || { echo "no VCD header"; exit 1; }
# 64 cycles (two time steps each: falling and rising clock edge); the mismatch flag is 1 in
# exactly one of them.
[ "$(grep -c '^#' "$work/mismatch.vcd")" = 128 ] || { echo "not a 64-cycle window"; exit 1; }
flagged=$(awk '$1 == "$var" && $5 == "mismatch" {id = $4} id != "" && $0 == "1" id {n++} END {print n + 0}' "$work/mismatch.vcd")
[ "$flagged" = 1 ] || { echo "mismatch flagged in $flagged cycles, want 1"; exit 1; }
if command -v vcd2fst >/dev/null; then
  vcd2fst "$work/mismatch.vcd" "$work/mismatch.fst" >/dev/null && [ -s "$work/mismatch.fst" ] ||
    { echo "vcd2fst rejects the window VCD"; exit 1; }
fi
echo "planted fault caught"
