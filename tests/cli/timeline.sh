#!/usr/bin/env bash
# `nicsim replay --timeline`: on a generated trace with MAC drops and back-pressure, the CSV has
# the timeline's header, one row per window from 0 through the window holding the end of
# simulated time, and its windows add up to the report's own totals (frames, bytes into the
# MAC and into host memory, drops by reason, reads, PCIe busy time), with FIFO maxima that are
# the report's high watermarks and channel means that integrate to its occupancy histograms.
# Usage: timeline.sh NICSIM WORK
set -u
nicsim=$1 work=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
"$nicsim" gen -o "$work/t.pcap" --flows 4 --ddgst --io-size 4K,64K --ios 120 --seed 11 >/dev/null ||
  fail "gen failed"
# 7.5 us windows: not a divisor of the run, and not whole microseconds' multiples of the clock.
"$nicsim" replay "$work/t.pcap" --line-rate --set mac.rx_fifo_bytes=24K --set pcie.gbps_per_direction=95 \
  --timeline "$work/t.csv" --timeline-us 7.5 --report "$work/r.json" >/dev/null 2>&1
rc=$?
[ "$rc" -le 1 ] || fail "replay exit $rc"  # reads behind dropped frames fail the verdict: exit 1
csv=$work/t.csv rep=$work/r.json
want="start_us,end_us,frames,offered_bytes,offered_gbps,host_placed_bytes,host_ring_bytes,host_cqe_bytes,host_placed_gbps,host_ring_gbps,host_cqe_gbps"
for f in mac_rx_fifo mac_to_l3 l3_to_flow flow_to_parser parser_to_crc crc_to_placement; do
  want+=",${f}_max,${f}_mean"
done
want+=",drop_mac_fifo_full,drop_oversize,drop_runt,drop_rx_ring_full,pcie_up_busy,pcie_down_busy,reads,read_p50_us,read_p99_us"
[ "$(head -1 "$csv")" = "$want" ] || fail "header: $(head -1 "$csv")"

col() { head -1 "$csv" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
sum() { awk -F, -v c="$(col "$1")" 'NR > 1 { s += $c } END { printf "%.0f", s }' "$csv"; }
maxof() { awk -F, -v c="$(col "$1")" 'NR > 1 && $c > m { m = $c } END { print m + 0 }' "$csv"; }
j() { jq -r "$1" "$rep"; }

# Rows: back to back windows of 7.5 us from 0 through the one holding the end.
sim_ps=$(j .summary.simulated_ps)
rows=$(($(wc -l < "$csv") - 1))
[ "$rows" -eq $((sim_ps / 7500000 + 1)) ] || fail "$rows rows for $sim_ps ps in 7.5 us windows"
awk -F, 'NR > 1 { k = NR - 2; if ($1 + 0 != k * 7.5 || $2 + 0 != (k + 1) * 7.5) { print "row " k ": " $1 "," $2; exit 1 } }' \
  "$csv" || fail "rows are not consecutive 7.5 us windows from 0"
awk -F, -v end="$sim_ps" 'END { if (!($1 * 1e6 <= end && end < $2 * 1e6)) exit 1 }' "$csv" ||
  fail "the last row does not hold the end of simulated time ($sim_ps ps)"

same() { [ "$1" = "$2" ] || fail "$3: timeline $1, report $2"; }
same "$(sum frames)" "$(j .counters.mac_frames_in)" "frames"
same "$(sum offered_bytes)" "$(j .counters.mac_bytes_in)" "bytes into the MAC"
same "$(sum host_placed_bytes)" "$(j .counters.placement_bytes_placed)" "payload placed"
same "$(sum host_ring_bytes)" "$(j .counters.placement_bytes_kept)" "receive-ring bytes"
same "$(sum reads)" "$(j '.commands | length')" "reads completed"
for d in mac_fifo_full:drop_mac_fifo_full oversize:drop_mac_oversize runt:drop_mac_runt rx_ring_full:drop_rx_ring_full; do
  same "$(sum "drop_${d%%:*}")" "$(j ".counters.${d#*:}")" "drops ${d%%:*}"
done
[ "$(sum drop_mac_fifo_full)" -gt 0 ] || fail "no MAC drops: the workload no longer exercises them"
cqe=$(sum host_cqe_bytes)
[ "$cqe" -gt 0 ] && [ $((cqe % 64)) -eq 0 ] || fail "completion bytes $cqe are not whole 64-byte entries"
# Busy fractions are printed to 1e-4 of a window: the sum may be off by that much per row.
for d in up down; do
  awk -F, -v c="$(col "pcie_${d}_busy")" -v total="$(j ".counters.pcie_${d}_busy_ps")" -v rows="$rows" \
    'NR > 1 { s += $c * 7.5e6 } END { d = s - total; if (d < 0) d = -d; if (d > rows * 7.5e6 * 0.5e-4 + 1) { print s, total; exit 1 } }' \
    "$csv" || fail "PCIe $d busy time does not add up to the report's"
done
period_ps=$(jq -r '1e6 / .config.core.clock_mhz' "$rep")
for f in $(j '.fifos[].name'); do
  same "$(maxof "${f}_max")" "$(j ".fifos[] | select(.name == \"$f\") | .high_watermark")" "$f high watermark"
  [ "$(j ".fifos[] | select(.name == \"$f\") | .histogram_bucket")" = 1 ] || continue
  # Level x time from the report's histogram (levels x cycles) against the windows' means.
  area=$(j ".fifos[] | select(.name == \"$f\") | [.histogram[] | .[0] * .[1]] | add * $period_ps")
  awk -F, -v c="$(col "${f}_mean")" -v area="$area" -v rows="$rows" \
    'NR > 1 { s += $c * 7.5e6 } END { d = s - area; if (d < 0) d = -d; if (d > rows * 7.5e6 * 0.5e-3 + 1) { print s, area; exit 1 } }' \
    "$csv" || fail "$f: the windows' mean levels do not integrate to the report's histogram"
done

# With flow contexts in host memory: a cache's three columns, ahead of the PCIe ones, whose
# windows add up to the report's lookups (hits, misses, merged) and misses, with a hit rate
# per window that has lookups.
"$nicsim" replay "$work/t.pcap" --config "$(dirname "$0")/../../configs/ctx-cache-1k.json" \
  --set ctx_cache.entries=2 --set ctx_cache.ways=1 --set mac.rx_fifo_bytes=16M \
  --timeline "$work/c.csv" --timeline-us 7.5 --report "$work/c.json" >/dev/null 2>&1 || fail "cached replay failed"
csv=$work/c.csv rep=$work/c.json
head -1 "$csv" | grep -q ',drop_rx_ring_full,ctx_cache_lookups,ctx_cache_misses,ctx_cache_hit_rate,pcie_up_busy,' ||
  fail "cache columns: $(head -1 "$csv")"
[ "$(j .ctx_cache.misses)" -gt 0 ] || fail "a 2-entry cache over 4 flows missed nothing"
same "$(sum ctx_cache_lookups)" "$(j '.ctx_cache | .hits + .misses + .merged')" "context cache lookups"
same "$(sum ctx_cache_misses)" "$(j .ctx_cache.misses)" "context cache misses"
awk -F, -v l="$(col ctx_cache_lookups)" -v r="$(col ctx_cache_hit_rate)" \
  'NR > 1 && (($l > 0) != ($r != "") || ($r != "" && ($r + 0 < 0 || $r + 0 > 1))) { print NR ": " $l " lookups, rate " $r; exit 1 }' "$csv" ||
  fail "a hit rate without lookups, or out of [0, 1]"
echo "timeline: $rows rows, $(sum frames) frames, $(sum drop_mac_fifo_full) MAC drops, $(sum reads) reads: all match the report"
