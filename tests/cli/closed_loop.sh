#!/usr/bin/env bash
# `nicsim run`, the closed loop (docs/closed-loop.md), end to end:
# - drops: at 100G with 2 KiB reads the receive path is PCIe-bound, and with 8 x 128 reads in
#   flight more is asked than it takes in, so TCP sets the pace. A MAC FIFO of 2 KiB overflows
#   where one of 1 MiB does not. Both runs end with every read byte-exact, the small FIFO's
#   drops recovered by TCP retransmissions (counted), with lower throughput and a higher p99
#   than the large FIFO's;
# - the capture: --pcap-out passes tshark's NVMe/TCP dissector (every C2HData PDU of every
#   read, data digests good, no malformed frame) and replays open-loop to the same verdict;
# - determinism: the same seed gives the same report;
# - the network's impairments on both directions are recovered too.
# Usage: closed_loop.sh NICSIM WORK_DIR
set -euo pipefail
nicsim=$1 work=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
# Host-dependent fields (and the capture's name) left out when reports are compared.
strip='del(.summary.wall_seconds, .summary.active_cycles_per_wall_second, .summary.peak_rss_kb, .trace)'

# 8 connections x QD 128 x 600 reads of 2 KiB: 4800 reads; a slot is used 5 times at most,
# below the 16 generations after which Linux-style CIDs come back to 0 (tshark 4.0 mishandles
# CID 0).
common=(--flows 8 --queue-depth 128 --ios 600 --io-size 2K --ddgst --seed 3 --service-us 2
        --set mac.max_frame_bytes=1518 --set driver.io_threshold=512)
reads=4800
"$nicsim" run "${common[@]}" --set mac.rx_fifo_bytes=2K --report small.json --pcap-out small.pcap \
  --timeline small.csv --timeline-us 20 > small.out ||
  fail "small FIFO run failed: $(tail -1 small.out)"
"$nicsim" run "${common[@]}" --set mac.rx_fifo_bytes=1M --report large.json > large.out ||
  fail "large FIFO run failed"
for r in small large; do
  jq -e --argjson n $reads '.verdict.ok and .verdict.checked == $n and .closed_loop.total.reads == $n
        and .closed_loop.total.errors == 0 and .closed_loop.all_done
        and ([.commands[] | select(.status == "ok")] | length) == $n' $r.json >/dev/null ||
    fail "$r: not every read completed byte-exact"
done
jq -e '.counters.drop_mac_fifo_full > 0 and .counters.tcp_target_retransmitted_segments > 0' small.json >/dev/null ||
  fail "the small FIFO dropped nothing, or nothing was retransmitted"
jq -e '.counters.drop_mac_fifo_full == 0 and .counters.tcp_target_retransmitted_segments == 0' large.json >/dev/null ||
  fail "the large FIFO dropped or retransmitted"
small_gbps=$(jq .closed_loop.total.throughput_gbps small.json) large_gbps=$(jq .closed_loop.total.throughput_gbps large.json)
small_p99=$(jq '.closed_loop.total.clat_ns.p99' small.json) large_p99=$(jq '.closed_loop.total.clat_ns.p99' large.json)
awk -v s="$small_gbps" -v l="$large_gbps" 'BEGIN { exit !(s < l) }' ||
  fail "throughput with the small FIFO ($small_gbps Gb/s) is not below the large one's ($large_gbps)"
[ "$small_p99" -gt "$large_p99" ] || fail "p99 with the small FIFO ($small_p99 ns) is not above the large one's ($large_p99)"
grep -qE "^  fio        $reads reads \(0 errors\), [0-9.]+ Gb/s" small.out || fail "no fio line in the summary"

# The timeline: the controllers' retransmissions over the windows add up to the report's, and
# their congestion windows are there.
head -1 small.csv | tr ',' '\n' > columns.txt
for c in tcp_cwnd_bytes_max tcp_cwnd_bytes_mean tcp_retransmits tcp_fast_recoveries tcp_rtos switch_drops link_lost; do
  grep -qx "$c" columns.txt || fail "timeline: no column $c"
done
col() { awk -v want="$1" 'NR == FNR { if ($0 == want) n = FNR; next } FNR > 1 { split($0, f, ","); s += f[n] } END { print s + 0 }' columns.txt small.csv; }
[ "$(col tcp_retransmits)" -eq "$(jq .counters.tcp_target_retransmitted_segments small.json)" ] ||
  fail "timeline retransmissions $(col tcp_retransmits) against the report's"
[ "$(col tcp_fast_recoveries)" -eq "$(jq .counters.tcp_target_fast_retransmits small.json)" ] ||
  fail "timeline fast recoveries against the report's"
awk -F, 'NR == FNR { if ($0 == "tcp_cwnd_bytes_max") n = FNR; next } FNR > 1 && $n > 0 { found = 1 } END { exit !found }' \
  columns.txt small.csv || fail "timeline: no congestion window"

# The same seed, the same run.
"$nicsim" run "${common[@]}" --set mac.rx_fifo_bytes=2K --report again.json > /dev/null
diff <(jq -S "$strip" small.json) <(jq -S "$strip" again.json) > /dev/null || fail "the same seed gave another report"

# The capture replays open-loop to the same verdict.
"$nicsim" replay small.pcap --set mac.max_frame_bytes=1518 --set driver.io_threshold=512 --report replay.json > replay.out ||
  fail "open-loop replay of the capture failed: $(tail -1 replay.out)"
jq -e --argjson n $reads '.verdict.ok and .verdict.checked == $n' replay.json >/dev/null ||
  fail "open-loop replay did not check every read"

# tshark: every read's one C2HData PDU, its data digest good, and one response per read.
if command -v tshark >/dev/null; then
  tshark -n -r small.pcap -d tcp.port==4420,nvme-tcp -o nvme-tcp.check_hdgst:TRUE \
    -o nvme-tcp.check_ddgst:TRUE -o tcp.reassemble_out_of_order:TRUE -T fields -E occurrence=a \
    -E aggregator=, -e nvme-tcp.type -e nvme-tcp.ddgst.status -e _ws.malformed > tshark.txt 2> tshark.err ||
    fail "tshark failed: $(tail -1 tshark.err)"
  counts=$(awk -F'\t' '{ n = split($1, t, ","); for (i = 1; i <= n; i++) if (t[i] != "") c[t[i]]++
                         m = split($2, d, ","); for (i = 1; i <= m; i++) if (d[i] != "") s[d[i]]++
                         if ($3 != "") bad++ }
                       END { printf "%d %d %d %d %d", c[7], c[5], s[1], s[0], bad }' tshark.txt)
  read -r c2h resp good badd malformed <<< "$counts"
  [ "$c2h" -eq $reads ] || fail "tshark dissected $c2h C2HData PDUs, not $reads"
  [ "$resp" -eq $reads ] || fail "tshark dissected $resp CapsuleResps, not $reads"
  [ "$good" -eq $reads ] && [ "$badd" -eq 0 ] || fail "tshark data digests: $good good, $badd bad"
  [ "$malformed" -eq 0 ] || fail "tshark found $malformed malformed frames"
else
  echo "note: tshark not found, the capture's dissection not checked"
fi

# Loss, duplication and reordering on both directions, without SACK: NewReno and RTOs.
"$nicsim" run --flows 2 --queue-depth 8 --ios 40 --io-size 16K,64K --ddgst --seed 9 --loss 0.02 --dup 0.01 \
  --reorder 0.02 --h2c-loss 0.02 --h2c-dup 0.01 --h2c-reorder 0.02 --no-sack --report lossy.json > lossy.out ||
  fail "lossy run failed: $(tail -1 lossy.out)"
jq -e '.verdict.ok and .verdict.checked == 80 and .closed_loop.total.reads == 80
       and .counters.link_c2h_lost > 0 and .counters.link_h2c_lost > 0
       and .counters.tcp_target_retransmitted_segments > 0' lossy.json >/dev/null ||
  fail "lossy: not every read completed, or nothing was lost"

# Bad input: one line, exit status 2.
set +e
"$nicsim" run --queue-depth 500 > bad.out 2> bad.err
status=$?
set -e
[ $status -eq 2 ] && [ "$(wc -l < bad.err)" -eq 1 ] || fail "a queue deeper than the driver's: status $status, $(cat bad.err)"
echo "PASS: small FIFO $small_gbps Gb/s p99 $small_p99 ns, large $large_gbps Gb/s p99 $large_p99 ns"
