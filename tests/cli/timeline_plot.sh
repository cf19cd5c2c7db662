#!/usr/bin/env bash
# `nicsim plot`: a replay's timeline becomes a valid PNG (signature and IHDR of the size the
# script asks for) with its gnuplot script beside it. Skipped (77) without gnuplot's PNG terminal.
# Usage: timeline_plot.sh NICSIM WORK TRACE
set -u
nicsim=$1 work=$2 trace=$3
if ! gnuplot -e 'set terminal' 2>&1 | grep -q png; then
  echo "SKIP: gnuplot with a PNG terminal not found (Debian package gnuplot-nox)"
  exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
"$nicsim" replay "$trace" --timeline "$work/t.csv" >/dev/null || fail "replay failed"
"$nicsim" plot "$work/t.csv" -o "$work/t.png" || fail "plot failed"
[ -s "$work/t.gp" ] || fail "no gnuplot script beside the PNG"
sig=$(head -c 8 "$work/t.png" | od -An -tx1 | tr -d ' \n')
[ "$sig" = 89504e470d0a1a0a ] || fail "not a PNG: signature $sig"
ihdr=$(head -c 24 "$work/t.png" | tail -c 12 | od -An -tx1 | tr -d ' \n')
[ "$ihdr" = 494844520000044c0000044c ] || fail "IHDR is not a 1100x1100 image: $ihdr"
echo "PNG $(stat -c %s "$work/t.png") bytes, 1100x1100"
