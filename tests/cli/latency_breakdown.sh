#!/usr/bin/env bash
# The latency breakdown (docs/latency.md): the report's latency.frames and latency.reads carry
# every stage with count and percentiles, frames' total equals the summary's latency_ns_*,
# and the summary prints both tables, for an NVMe/TCP and an iSCSI replay. Then host memory
# made slower by 1000 ns moves the frames' host_memory stage by exactly that, and the
# others by at most a cycle.
# Usage: latency_breakdown.sh NICSIM WORK_DIR
set -euo pipefail
nicsim=$1 work=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

frames="wire mac_fifo header_parser flow_lookup pdu_parser crc placement dma_queue pcie_tx pcie host_memory total"
reads="target transfer nic driver teardown total"

check_report() {
  local r=$1 out=$2
  [ "$(jq -r '[.latency.frames[].name] | join(" ")' "$r")" = "$frames" ] || fail "$r: frame stages"
  [ "$(jq -r '[.latency.reads[].name] | join(" ")' "$r")" = "$reads" ] || fail "$r: read parts"
  jq -e '[.latency.frames[], .latency.reads[]] | all(has("count") and has("p50_ns") and has("p99_ns")
         and has("p999_ns") and has("max_ns") and .p50_ns <= .p99_ns and .p99_ns <= .p999_ns
         and .p999_ns <= .max_ns)' "$r" >/dev/null || fail "$r: a row lacks a figure or is out of order"
  jq -e '(.latency.frames[] | select(.name == "total")) as $t | .summary as $s
         | $t.count == $s.latency_frames and $t.p50_ns == $s.latency_ns_p50 and $t.p99_ns == $s.latency_ns_p99
           and $t.p999_ns == $s.latency_ns_p999 and $t.max_ns == $s.latency_ns_max and $t.count > 0' "$r" >/dev/null ||
    fail "$r: the frames' total is not the summary's latency"
  jq -e '(.latency.reads[] | select(.name == "total")).count == (.commands | length)' "$r" >/dev/null ||
    fail "$r: read total does not count every read"
  for s in $frames; do grep -qE "^             $s +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$" "$out" || fail "$out: no row for $s"; done
  for s in $reads; do grep -qE "^             $s +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$" "$out" || fail "$out: no row for $s"; done
  grep -qE '^  reads      [0-9]+ reads, command sent to read completed: p50 [0-9]+ ns, p99 [0-9]+ ns, p99.9 [0-9]+ ns, max [0-9]+ ns$' "$out" ||
    fail "$out: no read-latency line"
}

"$nicsim" gen -o nvme.pcap --flows 2 --ddgst --io-size 4K,64K --ios 12 --queue-depth 2 --seed 4 >/dev/null
"$nicsim" replay nvme.pcap --report nvme.json --csv nvme.csv > nvme.out
check_report nvme.json nvme.out
grep -qE '^latency_frames,pcie,p99_ns,[0-9]+$' nvme.csv || fail "no CSV row for the pcie stage"
grep -qE '^latency_reads,driver,count,[0-9]+$' nvme.csv || fail "no CSV row for the driver part"
"$nicsim" gen --ulp iscsi -o iscsi.pcap --flows 2 --ddgst --ios 12 --seed 4 >/dev/null
"$nicsim" replay iscsi.pcap --report iscsi.json > iscsi.out
check_report iscsi.json iscsi.out

# Host memory 1000 ns slower: that stage's every figure moves by exactly 1000 ns. Posted writes
# free their DMA operation when they leave the NIC, so memory's latency holds nothing of
# theirs. The other stages stay within one core cycle: the command processor's ring and SGL
# reads wait for memory, and share the in-order DMA queue with the frames' writes.
# Without a bandwidth limit the stage is the latency alone: no queueing to shift.
"$nicsim" replay nvme.pcap --set host.mem_gbps=0 --report fast.json > /dev/null
"$nicsim" replay nvme.pcap --set host.mem_gbps=0 --set host.mem_latency_ns=1080 --report slow.json > /dev/null
moved=$(jq -n --slurpfile a fast.json --slurpfile b slow.json -r '
  [range($a[0].latency.frames | length) as $i | $a[0].latency.frames[$i] as $x | $b[0].latency.frames[$i] as $y
   | select($x.name != "total")
   | [$y.p50_ns - $x.p50_ns, $y.p99_ns - $x.p99_ns, $y.max_ns - $x.max_ns] as $d
   | select(if $x.name == "host_memory" then $d != [1000, 1000, 1000] else ($d | map(fabs) | max) > 4 end)
   | "\($x.name): p50/p99/max moved by \($d)"] | join(", ")')
[ -z "$moved" ] || fail "host.mem_latency_ns +1000 moved: $moved"
[ "$(jq '.latency.frames[] | select(.name == "host_memory") | .max_ns' slow.json)" = 1080 ] ||
  fail "host_memory is not host.mem_latency_ns"
echo "latency breakdown: keys, summary tables and CSV rows on NVMe/TCP and iSCSI; host memory moves alone"
