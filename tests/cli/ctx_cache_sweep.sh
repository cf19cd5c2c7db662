#!/usr/bin/env bash
# A sweep over the flow-context cache size on 64 flows: context misses fall as the cache
# grows, every point's reads stay byte-exact (status ok; the MAC FIFO is deep enough that
# stalls drop nothing), and a cache holding every flow never misses (sk_add puts each new
# context on chip).
set -euo pipefail
nicsim=$1 work=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$nicsim" gen -o flows64.pcap --flows 64 --ddgst --io-size 32K --ios 256 --seed 18 >/dev/null
"$nicsim" sweep --trace flows64.pcap --grid ctx_cache.entries=8,16,32,4096 --set ctx_cache.ways=8 \
  --set mac.rx_fifo_bytes=16M \
  --metric ctx_cache.misses -j 2 --out run > run.txt 2>&1 || { cat run.txt; echo "sweep failed"; exit 1; }
csv=run/results.csv
col=$(head -1 "$csv" | tr , '\n' | grep -nx 'ctx_cache.misses' | cut -d: -f1)
[ -n "$col" ] || { head -1 "$csv"; echo "no ctx_cache.misses column"; exit 1; }
[ "$(awk -F, 'NR > 1 && $NF == "ok"' "$csv" | wc -l)" -eq 4 ] ||
  { cat "$csv"; echo "want 4 points with status ok"; exit 1; }
misses=$(tail -n +2 "$csv" | sort -t, -k3,3n | cut -d, -f"$col" | paste -sd' ')
read -r -a m <<< "$misses"
for i in 1 2 3; do
  [ "${m[i]}" -lt "${m[i-1]}" ] || { cat "$csv"; echo "misses do not fall with the cache size: $misses"; exit 1; }
done
# As many entries as flow-table slots: no two flows share a way, and none misses cold.
[ "${m[3]}" -eq 0 ] || { echo "4096 entries for 64 flows: want no miss, got ${m[3]}"; exit 1; }
echo "ctx cache sweep ok: misses $misses for 8 16 32 4096 entries"
