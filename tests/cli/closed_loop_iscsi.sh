#!/usr/bin/env bash
# `nicsim run --ulp iscsi`, the closed loop over iSCSI (docs/closed-loop.md), end to end:
# - 4 connections x QD 16 x 100 reads of 4K or 64K with both digests: every read byte-exact
#   and placed by the NIC; the capture replays open-loop to the same verdict; tshark's iSCSI
#   dissector finds the TEST UNIT READY probe and one SCSI Command per read, a Data-In with
#   status (S) ending every read, every digest good and no malformed frame;
# - a 2 KiB MAC FIFO drops, TCP recovers, and every read is still byte-exact, with Data-In
#   of 1001 bytes (3 bytes of pad each) and a share of reads ended by a SCSI Response;
# - impairments on both directions are recovered too, and the same seed gives the same run;
# - bad input: one line, exit status 2.
# Usage: closed_loop_iscsi.sh NICSIM WORK_DIR
set -euo pipefail
nicsim=$1 work=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

reads=400
"$nicsim" run --ulp iscsi --flows 4 --queue-depth 16 --ios 100 --io-size 4K,64K --hdgst --ddgst \
  --report run.json --pcap-out run.pcap > run.out || fail "iSCSI run failed: $(tail -1 run.out)"
jq -e --argjson n $reads '.verdict.ok and .verdict.checked == $n and .closed_loop.total.reads == $n
      and .closed_loop.total.errors == 0 and .closed_loop.all_done
      and .closed_loop.workload.ulp == "iscsi" and .counters.c2h_data_bytes_placed > 0
      and ([.commands[] | select(.status == "ok" and .protocol == "iscsi")] | length) == $n' run.json >/dev/null ||
  fail "not every read completed byte-exact and placed"
grep -q "ports followed: NVMe/TCP , iSCSI 3260" run.out || fail "the summary does not follow iSCSI on 3260"
gbps=$(jq .closed_loop.total.throughput_gbps run.json)
placed=$(jq '100 * .counters.c2h_data_bytes_placed / ([.commands[].length] | add)' run.json)

# The capture replays open-loop to the same verdict.
"$nicsim" replay run.pcap --report replay.json > replay.out ||
  fail "open-loop replay of the capture failed: $(tail -1 replay.out)"
jq -e --argjson n $reads '.verdict.ok and .verdict.checked == $n' replay.json >/dev/null ||
  fail "open-loop replay did not check every read"

# tshark: per connection the probe, then one SCSI Command per read; one Data-In per read (a
# read is at most 64K, below the 256K MaxRecvDataSegmentLength), each with S; every digest
# good: a header digest on every full-feature PDU, a data digest on every one with data.
if command -v tshark >/dev/null; then
  tshark -n -r run.pcap -o tcp.reassemble_out_of_order:TRUE -T fields -E occurrence=a -E aggregator=, \
    -e iscsi.opcode -e iscsi.scsidata.S -e _ws.malformed > tshark.txt 2> tshark.err ||
    fail "tshark failed: $(tail -1 tshark.err)"
  counts=$(awk -F'\t' '{ n = split($1, t, ","); for (i = 1; i <= n; i++) if (t[i] != "") c[t[i]]++
                         m = split($2, s, ","); for (i = 1; i <= m; i++) if (s[i] == "1" || s[i] == "True") st++
                         if ($3 != "") bad++ }
                       END { printf "%d %d %d %d", c["0x01"], c["0x25"], st, bad }' tshark.txt)
  read -r cmds datain with_status malformed <<< "$counts"
  [ "$cmds" -eq $((reads + 4)) ] || fail "tshark dissected $cmds SCSI Commands, not $reads reads and 4 probes"
  [ "$datain" -eq $reads ] || fail "tshark dissected $datain Data-In PDUs, not $reads"
  [ "$with_status" -eq $reads ] || fail "tshark found status on $with_status Data-In PDUs, not $reads"
  [ "$malformed" -eq 0 ] || fail "tshark found $malformed malformed frames"
  tshark -n -r run.pcap -o tcp.reassemble_out_of_order:TRUE -O iscsi -Y iscsi 2>/dev/null |
    grep -E "Digest: 0x" > digests.txt || true
  hgood=$(grep -c "HeaderDigest: .*(Good CRC32)" digests.txt || true)
  dgood=$(grep -c "DataDigest: .*(Good CRC32)" digests.txt || true)
  [ "$(wc -l < digests.txt)" -eq $((hgood + dgood)) ] || fail "tshark found a bad digest"
  [ "$hgood" -eq $((2 * reads + 8)) ] || fail "tshark shows $hgood good header digests, want $((2 * reads + 8))"
  [ "$dgood" -eq $((reads + 4)) ] || fail "tshark shows $dgood good data digests, want $((reads + 4))"
else
  echo "note: tshark not found, the capture's dissection not checked"
fi

# A small FIFO: drops recovered by TCP, Data-In with pad, some reads ended by a SCSI Response.
"$nicsim" run --ulp iscsi --flows 8 --queue-depth 64 --ios 300 --io-size 2K --hdgst --ddgst --seed 3 \
  --service-us 2 --set mac.max_frame_bytes=1518 --set mac.rx_fifo_bytes=2K --iscsi-max-recv 1001 \
  --iscsi-status-pdu 0.3 --report small.json --pcap-out small.pcap > small.out ||
  fail "small FIFO run failed: $(tail -1 small.out)"
jq -e '.verdict.ok and .verdict.checked == 2400 and .closed_loop.total.reads == 2400
       and .closed_loop.all_done and .counters.drop_mac_fifo_full > 0
       and .counters.tcp_target_retransmitted_segments > 0' small.json >/dev/null ||
  fail "small FIFO: not every read completed byte-exact, or nothing dropped and retransmitted"
"$nicsim" replay small.pcap --set mac.max_frame_bytes=1518 --report small_replay.json > small_replay.out ||
  fail "open-loop replay of the small FIFO's capture failed: $(tail -1 small_replay.out)"
jq -e '.verdict.ok and .verdict.checked == 2400' small_replay.json >/dev/null ||
  fail "open-loop replay of the small FIFO's capture did not check every read"

# Loss, duplication and reordering on both directions (the login and the probe too), without
# SACK, exponential service times: every read completes, and the same seed gives the same run.
lossy=(--ulp iscsi --flows 2 --queue-depth 8 --ios 40 --io-size 16K,64K --ddgst --seed 9 --loss 0.02
       --dup 0.01 --reorder 0.02 --h2c-loss 0.02 --h2c-dup 0.01 --h2c-reorder 0.02 --no-sack
       --service-dist exp)
"$nicsim" run "${lossy[@]}" --report lossy.json > lossy.out || fail "lossy run failed: $(tail -1 lossy.out)"
jq -e '.verdict.ok and .verdict.checked == 80 and .closed_loop.total.reads == 80
       and .counters.link_c2h_lost > 0 and .counters.link_h2c_lost > 0
       and .counters.tcp_target_retransmitted_segments > 0' lossy.json >/dev/null ||
  fail "lossy: not every read completed, or nothing was lost"
"$nicsim" run "${lossy[@]}" --report again.json > /dev/null
strip='del(.summary.wall_seconds, .summary.active_cycles_per_wall_second, .summary.peak_rss_kb, .trace)'
diff <(jq -S "$strip" lossy.json) <(jq -S "$strip" again.json) > /dev/null || fail "the same seed gave another report"

# Bad input: one line, exit status 2.
for bad in "--iscsi-max-recv 100" "--io-size 1000" "--max-pdu-data 4K" "--iscsi-status-pdu 2"; do
  set +e
  # shellcheck disable=SC2086
  "$nicsim" run --ulp iscsi $bad > bad.out 2> bad.err
  status=$?
  set -e
  [ $status -eq 2 ] && [ "$(wc -l < bad.err)" -eq 1 ] || fail "$bad: status $status, $(cat bad.err)"
done
echo "PASS: iSCSI $gbps Gb/s, $placed % placed by the NIC, $reads reads checked"
