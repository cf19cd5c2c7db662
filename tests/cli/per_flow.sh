#!/usr/bin/env bash
# The report's flows[] (docs/replay-summary.md, "Per flow"): on generated multi-flow traces
# with loss, reordering and bad checksums (NVMe/TCP and iSCSI), and once with a receive ring
# so small that the NIC drops frames, every per-flow counter adds up over the flows to the
# aggregate counter of the same name, and the offered frames to the MAC's frames. Each flow's
# placed and copied bytes are checked against the generator's truth file (read lengths per
# connection): all of a read's bytes arrive one way or the other, and on an unimpaired trace
# the NIC places exactly the reads of at least driver.io_threshold bytes. Then the
# --per-flow table (one row per flow, capped at 50 rows) and the CSV's flows rows.
# Usage: per_flow.sh NICSIM WORK_DIR
set -euo pipefail
nicsim=$1 work=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

# Every key a flow shares with `counters` sums to it, and the offered frames to what the MAC
# took less what it dropped (every TCP connection of these traces is followed). The one share
# no one can count: frames the NIC dropped for a full receive ring before any flow context
# (flow-miss and bad-checksum frames; the host never sees them), `u` below.
check_sums() {
  local r=$1 bad
  bad=$(jq -r '.counters as $c | (.flows[0] | keys | map(select(. as $k | $c | has($k)))) as $ks
    | def sum($k): [.flows[][$k]] | add;
    ($c.drop_rx_ring_full - sum("drop_rx_ring_full")) as $u
    | ([$ks[] as $k | select(($k | IN("bypass_flow_miss", "bypass_bad_checksum", "drop_rx_ring_full") | not)
                             and sum($k) != $c[$k]) | "\($k): flows \(sum($k)), counters \($c[$k])"]
       + (if $c.bypass_flow_miss - sum("bypass_flow_miss") + $c.bypass_bad_checksum - sum("bypass_bad_checksum") != $u
          then ["flow_miss \(sum("bypass_flow_miss")) / \($c.bypass_flow_miss), bad_checksum \(sum("bypass_bad_checksum")) / \($c.bypass_bad_checksum), unattributed drops \($u)"] else [] end)
       + (if sum("offered_frames") != $c.mac_frames_in - $c.drop_mac_fifo_full - $c.drop_mac_oversize - $c.drop_mac_runt - $u
          then ["offered_frames \(sum("offered_frames")) vs MAC \($c.mac_frames_in)"] else [] end)
       + (if $c.bypass_not_tcp != 0 then ["not_tcp frames in a generated trace"] else [] end)
       + (if ($ks | length) < 30 then ["only \($ks | length) shared keys"] else [] end))[]' "$r")
  [ -z "$bad" ] || fail "$r: per-flow sums differ from the aggregate: $bad"
}

# Per connection of the truth: its reads' bytes, and those of reads the driver registers.
truth_by_flow() {
  jq -r '.commands | group_by(.flow)[] | "\(.[0].flow) \([.[].length] | add) \([.[] | select(.length >= 32768) | .length] | add // 0)"' "$1"
}

"$nicsim" gen -o imp.pcap --truth imp.json --flows 4 --ddgst --io-size 4K,64K --ios 80 \
  --loss 0.01 --reorder 0.02 --bad-tcp-csum 0.01 --seed 3 >/dev/null
"$nicsim" replay imp.pcap --report imp.r.json --csv imp.csv --per-flow > imp.out
check_sums imp.r.json
# The impairments reached the per-flow counters, and more than one flow.
for k in tracker_holes bypass_out_of_seq bypass_bad_checksum crc_pdus_verified_ok placement_bytes_placed; do
  n=$(jq --arg k "$k" '[.flows[] | select(.[$k] > 0)] | length' imp.r.json)
  [ "$n" -ge 2 ] || fail "$k is non-zero on $n flows"
done
[ "$(jq '.flows | length' imp.r.json)" = 4 ] || fail "$(jq '.flows | length' imp.r.json) flows, want 4"
[ "$(jq -r '[.flows[].flow] | sort | join(" ")' imp.r.json)" = "$(jq -r '[.connections[].host] | sort | join(" ")' imp.json)" ] ||
  fail "the flows are not the truth's connections"
# Every read completes (the generator retransmits what it lost): a flow's placed and copied
# bytes make up its reads' lengths, and the NIC places only registered reads.
while read -r flow total big; do
  got=$(jq -r --arg f "$flow" '.flows[] | select(.flow == $f) | "\(.placement_bytes_placed) \(.c2h_data_bytes_copied) \(.protocol)"' imp.r.json)
  read -r placed copied proto <<< "$got"
  [ "$proto" = nvme-tcp ] || fail "$flow: protocol '$proto'"
  [ $((placed + copied)) -eq "$total" ] || fail "$flow: placed $placed + copied $copied != $total read bytes"
  [ "$placed" -le "$big" ] || fail "$flow: placed $placed > $big bytes of registered reads"
done < <(truth_by_flow imp.json)

# In order, every registered read is placed whole and nothing else.
"$nicsim" gen -o clean.pcap --truth clean.json --flows 4 --ddgst --io-size 4K,64K --ios 60 --seed 5 >/dev/null
"$nicsim" replay clean.pcap --report clean.r.json > /dev/null
check_sums clean.r.json
while read -r flow total big; do
  placed=$(jq --arg f "$flow" '.flows[] | select(.flow == $f) | .placement_bytes_placed' clean.r.json)
  [ "$placed" -eq "$big" ] && [ "$big" -gt 0 ] || fail "$flow: placed $placed, the truth's registered reads $big"
done < <(truth_by_flow clean.json)

# iSCSI, impaired.
"$nicsim" gen --ulp iscsi -o iscsi.pcap --truth iscsi.json --flows 3 --ddgst --ios 30 --loss 0.01 \
  --reorder 0.02 --seed 2 >/dev/null
"$nicsim" replay iscsi.pcap --report iscsi.r.json > /dev/null
check_sums iscsi.r.json
[ "$(jq -r '[.flows[].protocol] | unique | join(",")' iscsi.r.json)" = iscsi ] || fail "iSCSI flows' protocol"
while read -r flow total big; do
  [ "$(jq --arg f "$flow" '.flows[] | select(.flow == $f) | .placement_bytes_placed + .c2h_data_bytes_copied' iscsi.r.json)" -eq "$total" ] ||
    fail "iSCSI $flow: placed + copied != $total read bytes"
done < <(truth_by_flow iscsi.json)

# A receive ring too small for the traffic: the NIC drops frames of offloaded flows, and
# counts those of offloaded flows against them (reads behind the drops never complete: no
# verdict).
"$nicsim" replay imp.pcap --no-verify --set placement.rx_ring_bytes=8K --report ring.r.json > /dev/null
check_sums ring.r.json
[ "$(jq '[.flows[].drop_rx_ring_full] | add' ring.r.json)" -gt 0 ] || fail "no rx_ring_full drop counted against a flow"

# The table: a row per flow with the report's figures; the CSV: every flow's counters.
rows=$(grep -cE '^  192\.168\.100\.1:[0-9]+ +nvme-tcp ' imp.out) || true
[ "$rows" = 4 ] || fail "--per-flow printed $rows rows, want 4"
while read -r flow placed; do
  grep -qE "^  $flow +nvme-tcp +[0-9]+ +[0-9]+ +$placed " imp.out || fail "no row '$flow ... placed $placed'"
  grep -qx "flows,$flow,placement_bytes_placed,$placed" imp.csv || fail "no CSV row for $flow"
done < <(jq -r '.flows[] | "\(.flow) \(.placement_bytes_placed)"' imp.r.json)
"$nicsim" gen -o many.pcap --flows 60 --ios 60 --io-size 4K --seed 1 >/dev/null
"$nicsim" replay many.pcap --per-flow > many.out
rows=$(grep -cE '^  192\.168\.100\.1:[0-9]+ +nvme-tcp ' many.out) || true
[ "$rows" = 50 ] || fail "--per-flow printed $rows rows of 60 flows, want 50"
grep -q '^  \.\.\. 10 more flows left out' many.out || fail "no line for the 10 flows left out"
# Flow contexts in host memory: each flow's context misses, summing to the cache's, in the
# report and the table's last column; without the cache, no key and a dash.
"$nicsim" replay clean.pcap --config "$(dirname "$0")/../../configs/ctx-cache-1k.json" \
  --set ctx_cache.entries=1 --set ctx_cache.ways=1 --set mac.rx_fifo_bytes=16M --per-flow \
  --report ctx.r.json > ctx.out
[ "$(jq '[.flows[].ctx_cache_misses] | add' ctx.r.json)" = "$(jq .ctx_cache.misses ctx.r.json)" ] ||
  fail "per-flow context misses do not sum to the cache's"
[ "$(jq '[.flows[] | select(.ctx_cache_misses > 0)] | length' ctx.r.json)" = 4 ] || fail "not every flow missed"
while read -r flow misses; do
  grep -qE "^  $flow +nvme-tcp .* $misses\$" ctx.out || fail "no row '$flow ... $misses' context misses"
done < <(jq -r '.flows[] | "\(.flow) \(.ctx_cache_misses)"' ctx.r.json)
[ "$(jq '[.flows[] | has("ctx_cache_misses")] | any' clean.r.json)" = false ] || fail "context misses without a cache"
# The DDP caches: each flow's registration and SGL-line misses sum to both caches'.
"$nicsim" replay clean.pcap --set ddp_cache.entries=8 --set ddp_cache.ways=8 --set ddp_cache.sgl_entries=8 \
  --set mac.rx_fifo_bytes=16M --set driver.allocator=pages --report ddp.r.json > /dev/null
[ "$(jq '[.flows[].ddp_cache_misses] | add' ddp.r.json)" = "$(jq '.ddp_cache.misses + .sgl_cache.misses' ddp.r.json)" ] ||
  fail "per-flow DDP misses do not sum to the caches'"
[ "$(jq '.sgl_cache.misses > 0 and ([.flows[] | select(.ddp_cache_misses > 0)] | length) >= 2' ddp.r.json)" = true ] ||
  fail "the DDP caches missed on fewer than 2 flows, or no SGL line missed"
[ "$(jq '[.flows[] | has("ddp_cache_misses")] | any' clean.r.json)" = false ] || fail "DDP misses without a cache"
grep -qE '^  192\.168\.100\.1:[0-9]+ +nvme-tcp .* -$' imp.out || fail "no dash for context misses without a cache"
echo "per-flow sums match the aggregates on 4 replays; placed bytes match the truth per flow"
