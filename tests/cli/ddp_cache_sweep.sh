#!/usr/bin/env bash
# A sweep over the DDP registration cache size on 16 connections of 32 reads in flight each
# (512 registrations live at once): registration misses fall as the cache grows, every
# point's reads stay byte-exact (status ok; the MAC FIFO is deep enough that stalls drop
# nothing), and a cache holding every live registration misses on very few lookups.
set -euo pipefail
nicsim=$1 work=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$nicsim" gen -o q32.pcap --flows 16 --queue-depth 32 --io-size 32K --ios 1024 --seed 18 >/dev/null
"$nicsim" sweep --trace q32.pcap --grid ddp_cache.entries=64,128,256,4096 --set ddp_cache.ways=8 \
  --set mac.rx_fifo_bytes=16M \
  --metric ddp_cache.misses -j 2 --out run > run.txt 2>&1 || { cat run.txt; echo "sweep failed"; exit 1; }
csv=run/results.csv
col=$(head -1 "$csv" | tr , '\n' | grep -nx 'ddp_cache.misses' | cut -d: -f1)
[ -n "$col" ] || { head -1 "$csv"; echo "no ddp_cache.misses column"; exit 1; }
[ "$(awk -F, 'NR > 1 && $NF == "ok"' "$csv" | wc -l)" -eq 4 ] ||
  { cat "$csv"; echo "want 4 points with status ok"; exit 1; }
misses=$(tail -n +2 "$csv" | sort -t, -k3,3n | cut -d, -f"$col" | paste -sd' ')
read -r -a m <<< "$misses"
for i in 1 2 3; do
  [ "${m[i]}" -lt "${m[i-1]}" ] || { cat "$csv"; echo "misses do not fall with the cache size: $misses"; exit 1; }
done
# Setup installs each registration: with room for all of them, misses are a few cold looks.
[ "${m[3]}" -lt 64 ] || { echo "4096 entries for 512 live registrations: want a few misses, got ${m[3]}"; exit 1; }
echo "ddp cache sweep ok: misses $misses for 64 128 256 4096 entries"
