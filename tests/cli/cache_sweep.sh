#!/usr/bin/env bash
# A sweep over an on-chip cache's size (docs/state.md): misses fall as the cache grows, every
# point's reads stay byte-exact (status ok; the MAC FIFO is deep enough that stalls drop
# nothing), and a cache with room for the whole working set misses (almost) never.
#   ctx: 64 flows interleaved; sk_add puts each new context on chip, so holding every flow
#        means no miss at all.
#   ddp: 16 connections of 32 reads in flight (512 live registrations); setup installs each
#        registration, so with room for all of them the misses are a few cold looks.
# Usage: cache_sweep.sh NICSIM WORK ctx|ddp
set -euo pipefail
nicsim=$1 work=$2 cache=$3
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
case $cache in
  ctx) gen=(--flows 64 --ddgst --io-size 32K --ios 256); sizes=(8 16 32 4096); most=0 ;;
  ddp) gen=(--flows 16 --queue-depth 32 --io-size 32K --ios 1024); sizes=(64 128 256 4096); most=63 ;;
  *) echo "FAIL: unknown cache $cache"; exit 1 ;;
esac
key=${cache}_cache
rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$nicsim" gen -o t.pcap "${gen[@]}" --seed 18 >/dev/null
"$nicsim" sweep --trace t.pcap --grid "$key.entries=$(IFS=,; echo "${sizes[*]}")" --set "$key.ways=8" \
  --set mac.rx_fifo_bytes=16M \
  --metric "$key.misses" -j 2 --out run > run.txt 2>&1 || { cat run.txt; echo "sweep failed"; exit 1; }
csv=run/results.csv
col=$(head -1 "$csv" | tr , '\n' | grep -nx "$key.misses" | cut -d: -f1)
[ -n "$col" ] || { head -1 "$csv"; echo "no $key.misses column"; exit 1; }
[ "$(awk -F, 'NR > 1 && $NF == "ok"' "$csv" | wc -l)" -eq 4 ] ||
  { cat "$csv"; echo "want 4 points with status ok"; exit 1; }
misses=$(tail -n +2 "$csv" | sort -t, -k3,3n | cut -d, -f"$col" | paste -sd' ')
read -r -a m <<< "$misses"
for i in 1 2 3; do
  [ "${m[i]}" -lt "${m[i-1]}" ] || { cat "$csv"; echo "misses do not fall with the cache size: $misses"; exit 1; }
done
[ "${m[3]}" -le "$most" ] || { echo "${sizes[3]} entries: want at most $most misses, got ${m[3]}"; exit 1; }
echo "$cache cache sweep ok: misses $misses for ${sizes[*]} entries"
