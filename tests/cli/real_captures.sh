#!/usr/bin/env bash
# Captures as a real host's tcpdump gives them, made from a generated trace: no handshake,
# unfinished checksums, a mid-stream join (alone, or beside a connection that is followed),
# another port, a short snap length, a file cut off, TSO/GRO super-frames.
# Expectations come from the generator's truth file and from tshark/editcap, never from the
# replay itself.
# Usage: real_captures.sh NICSIM PCAP_REWRITE WORK CASE
set -u
nicsim=$1 rewrite=$2 work=$3 case=$4
mkdir -p "$work"
cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
command -v tshark >/dev/null && command -v editcap >/dev/null && command -v jq >/dev/null ||
  { echo "SKIP: tshark, editcap or jq missing"; exit 77; }

gen() {  # OUT [FLOWS [SEED [extra gen args]]]
  local out=$1 flows=${2:-2} seed=${3:-3}; shift $(( $# < 3 ? $# : 3 ))
  "$nicsim" gen -o "$out" --truth "${out%.pcap}.truth.json" --flows "$flows" --ddgst --io-size 64K \
    --ios 40 --seed "$seed" "$@" >/dev/null || fail "gen failed"
}

# Replays and records exit status, stdout and stderr.
replay() {  # TRACE REPORT [replay args]
  local trace=$1 report=$2; shift 2
  "$nicsim" replay "$trace" --report "$report" "$@" >out.txt 2>err.txt
  rc=$?
}

# Every read of the truth file is in the report, ok, with the truth's SHA-256; the NIC placed
# at least 99.9 % of the C2H data, or copied only what came before a read's registration did
# (data racing its DdpSetup: at most one MSS of payload per such frame, a few frames in all).
matches_truth() {  # REPORT TRUTH
  local bad n placed
  n=$(jq '.commands | length' "$2")
  [ "$n" -gt 0 ] || fail "truth lists no reads"
  bad=$(jq -n --slurpfile r "$1" --slurpfile t "$2" '
    ($r[0].commands | map({key: "\(.flow)#\(.order)", value: .}) | from_entries) as $got
    | [$t[0].commands[] | . as $w | $got["\(.flow)#\(.order)"] as $g
       | select($g == null or $g.status != "ok" or $g.sha256 != $w.sha256)] | length')
  [ "$bad" = 0 ] || fail "$bad of $n reads differ from the truth"
  [ "$(jq .verdict.checked "$1")" = "$n" ] || fail "verdict checked $(jq .verdict.checked "$1") reads, truth has $n"
  placed=$(jq '.counters | .c2h_data_bytes_placed / (.c2h_data_bytes_placed + .c2h_data_bytes_copied) >= 0.999
    or (.c2h_data_bytes_copied <= .placement_unregistered * 1460
        and .placement_unregistered <= .placement_frames / 100)' "$1")
  [ "$placed" = true ] || fail "the NIC placed less than 99.9 % of the C2H data"
  echo "all $n reads match the truth; placed $(jq .counters.c2h_data_bytes_placed "$1") of $(jq '.counters.c2h_data_bytes_placed + .counters.c2h_data_bytes_copied' "$1") bytes"
}

expect_fail() {  # PATTERN: non-zero exit, one stderr line naming PATTERN
  cat out.txt | grep -E "verdict|not followed|WARNING|capture"
  cat err.txt
  [ "$rc" -ne 0 ] || fail "exit 0, want non-zero"
  grep -v '^nicsim replay: warning:' err.txt | grep -q -- "$1" || fail "stderr does not name '$1'"
  [ "$(grep -vc '^nicsim replay: warning:' err.txt)" = 1 ] || fail "want one error line"
}

case $case in
no_handshake)
  gen t.pcap
  tshark -r t.pcap -Y '!(tcp.flags.syn==1) && !(tcp.len==0 && tcp.seq==1 && tcp.ack==1)' \
    -F pcap -w nohs.pcap 2>/dev/null || fail "tshark could not cut the handshake"
  [ "$(tshark -r nohs.pcap -Y 'tcp.flags.syn==1' 2>/dev/null | wc -l)" = 0 ] || fail "SYNs left"
  [ "$(tshark -r nohs.pcap -c 1 -T fields -e nvme-tcp.type -d tcp.port==4420,nvme-tcp 2>/dev/null)" = 0 ] ||
    fail "the cut trace does not start with ICReq"
  replay nohs.pcap r.json
  [ "$rc" = 0 ] || { cat err.txt; fail "exit $rc"; }
  matches_truth r.json t.truth.json
  ;;
checksums|checksums_ipv6)
  [ "$case" = checksums ] && gen t.pcap || gen t.pcap 2 3 --ipv6
  "$rewrite" t.pcap zero.pcap --zero-checksums || fail "pcap_rewrite failed"
  bad=$(tshark -r zero.pcap -o tcp.check_checksum:TRUE -Y 'tcp.checksum.status==0' 2>/dev/null | wc -l)
  total=$(tshark -r zero.pcap -Y tcp 2>/dev/null | wc -l)
  [ "$bad" = "$total" ] || fail "tshark finds $bad of $total TCP checksums bad, want all"
  replay zero.pcap r0.json
  expect_fail "--fix-checksums"
  grep -q "nicsim replay: warning: .*--fix-checksums" err.txt || fail "no checksum warning"
  replay zero.pcap r.json --fix-checksums
  [ "$rc" = 0 ] || { cat err.txt; fail "exit $rc with --fix-checksums"; }
  [ "$(jq .capture.checksums_fixed r.json)" = "$total" ] || fail "checksums_fixed is not $total"
  matches_truth r.json t.truth.json
  ;;
mid_stream)
  gen t.pcap
  # Keep what follows the last read command: no handshake, no ICReq/ICResp, no commands.
  last=$(tshark -r t.pcap -d tcp.port==4420,nvme-tcp -Y 'nvme-tcp.type==4' -T fields -e frame.number 2>/dev/null | tail -1)
  [ -n "$last" ] || fail "tshark found no read command"
  editcap -F pcap t.pcap mid.pcap "1-$last" 2>/dev/null || fail "editcap failed"
  replay mid.pcap r.json
  expect_fail "joined mid-stream"
  [ "$(jq '[.verdict.not_followed[] | select(.why == "joined mid-stream, not followed")] | length' r.json)" = 2 ] ||
    fail "the report does not name both connections as joined mid-stream"
  replay mid.pcap r.json --allow-empty
  [ "$rc" = 0 ] || fail "--allow-empty: exit $rc"
  ;;
partial)
  # One connection followed from its handshake, another joined after its last command.
  gen a.pcap 1 3
  gen b.pcap 1 4
  last=$(tshark -r b.pcap -d tcp.port==4420,nvme-tcp -Y 'nvme-tcp.type==4' -T fields -e frame.number 2>/dev/null | tail -1)
  editcap -F pcap b.pcap bmid.pcap "1-$last" 2>/dev/null && mergecap -F pcap -w m.pcap a.pcap bmid.pcap ||
    fail "editcap or mergecap failed"
  replay m.pcap r.json
  expect_fail "joined mid-stream"
  grep -q "of the trace were not followed" err.txt || fail "the error does not say reads were not followed"
  matches_truth r.json a.truth.json
  [ "$(jq '.verdict.not_followed | length' r.json)" = 1 ] || fail "want one connection not followed"
  [ "$(jq -r '.verdict.not_followed[0].flow' r.json)" = "$(jq -r '.connections[0].host' b.truth.json)" ] ||
    fail "the connection not followed is not the mid-stream one"
  ;;
port)
  gen t.pcap
  "$rewrite" t.pcap p.pcap --port 4420:4421 || fail "pcap_rewrite failed"
  reads=$(tshark -r p.pcap -d tcp.port==4421,nvme-tcp -Y 'nvme-tcp.type==4' -T fields -e nvme-tcp.type 2>/dev/null | wc -l)
  replay p.pcap r0.json
  expect_fail "--nvme-port"
  # tshark counts frames holding read commands, the replay every read: at least as many.
  nf=$(jq .verdict.reads_not_followed r0.json)
  [ "$nf" = "$(jq '.commands | length' t.truth.json)" ] && [ "$nf" -ge "$reads" ] ||
    fail "reads not followed $nf, truth has $(jq '.commands | length' t.truth.json)"
  replay p.pcap r.json --nvme-port 4420,4421
  [ "$rc" = 0 ] || { cat err.txt; fail "exit $rc with --nvme-port 4420,4421"; }
  grep -q "ports followed: NVMe/TCP 4420,4421, iSCSI 3260" out.txt || fail "the summary does not list the ports followed"
  matches_truth r.json t.truth.json
  ;;
snaplen)
  gen t.pcap
  editcap -F pcap -s 200 t.pcap s.pcap 2>/dev/null || fail "editcap failed"
  cut=$(tshark -r s.pcap -Y 'frame.cap_len < frame.len' 2>/dev/null | wc -l)
  [ "$cut" -gt 0 ] || fail "editcap cut nothing"
  replay s.pcap r.json
  expect_fail "snap length"
  [ "$(jq .capture.cut_records r.json)" = "$cut" ] || fail "cut_records $(jq .capture.cut_records r.json), tshark $cut"
  # Cut controller frames reach the NIC short: counted there as not TCP, and said so.
  cut_c2h=$(tshark -r s.pcap -Y 'frame.cap_len < frame.len && tcp.srcport==4420' 2>/dev/null | wc -l)
  grep -q "($cut_c2h of them records cut by the snap length)" out.txt || fail "the bypass line does not name $cut_c2h cut records"
  # Offered throughput counts wire lengths: near the generator's figure, not a seventh of it.
  jq -e -n --slurpfile r r.json --slurpfile t t.truth.json \
    '($r[0].summary.offered_gbps / $t[0].totals.offered_gbps - 1) | fabs < 0.03' >/dev/null ||
    fail "offered $(jq .summary.offered_gbps r.json) Gb/s, the generator says $(jq .totals.offered_gbps t.truth.json)"
  grep -q "$cut cut short by the snap length 200" out.txt || fail "the summary does not count the cut records"
  [ "$(jq '[.verdict.not_followed[] | select(.why == "records cut by the snap length")] | length' r.json)" = 2 ] ||
    fail "the report does not name both connections as cut by the snap length"
  ;;
truncated)
  gen t.pcap
  size=$(stat -c %s t.pcap)
  head -c $((size - 700)) t.pcap > cut.pcap
  # Bytes after the last complete record: the file less its header and the records tshark reads.
  kept=$(tshark -r cut.pcap -T fields -e frame.cap_len 2>/dev/null | awk '{s += 16 + $1} END {print s + 24}')
  lost=$(( $(stat -c %s cut.pcap) - kept ))
  [ "$lost" -gt 0 ] || fail "the cut left no partial record"
  replay cut.pcap r0.json
  cat err.txt
  [ "$rc" = 2 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q truncated err.txt ||
    fail "default: exit $rc, want 2 with one line naming the truncation"
  replay cut.pcap r.json --allow-truncated
  grep -E "truncated|verdict" out.txt
  [ "$rc" = 0 ] || { cat err.txt; fail "--allow-truncated: exit $rc"; }
  grep -q "; $lost bytes after the last complete record lost" out.txt || fail "the summary does not say $lost bytes were lost"
  [ "$(jq .capture.truncated_bytes_lost r.json)" = "$lost" ] || fail "report: bytes lost is not $lost"
  ;;
gso)
  # Every read's data in one super-frame of up to 64 KiB, as a capture above GRO holds it.
  gen t.pcap 1 3
  "$rewrite" t.pcap big.pcap --merge 4420 || fail "pcap_rewrite failed"
  sel='frame.len > 9216 && tcp.srcport == 4420'
  big=$(tshark -r big.pcap -Y "$sel" 2>/dev/null | wc -l)
  [ "$big" -ge 40 ] || fail "merging made $big frames longer than 9216 bytes, want one per read"
  replay big.pcap r0.json
  expect_fail "--split-gso"
  grep -q "nicsim replay: warning: $big target frames (NVMe/TCP, iSCSI) are longer than mac.max_frame_bytes.*--split-gso" err.txt ||
    fail "no warning naming $big oversize frames and --split-gso"
  [ "$(jq .capture.oversize_frames r0.json)" = "$big" ] || fail "oversize_frames is not $big"
  [ "$(jq '[.verdict.not_followed[] | select(.why == "frames longer than the MAC takes")] | length' r0.json)" = 1 ] ||
    fail "the report does not name the connection's oversize frames"
  replay big.pcap r.json --split-gso
  [ "$rc" = 0 ] || { cat err.txt; fail "exit $rc with --split-gso"; }
  # GSO's default MSS: 1500 less the frame's IP and TCP headers.
  pieces=$(tshark -r big.pcap -Y "$sel" -T fields -e tcp.len -e ip.hdr_len -e tcp.hdr_len 2>/dev/null |
    awk '{m = 1500 - $2 - $3; s += int(($1 + m - 1) / m)} END {print s}')
  [ "$(jq .capture.gso_frames_split r.json)" = "$big" ] || fail "gso_frames_split is not $big"
  [ "$(jq .capture.gso_pieces r.json)" = "$pieces" ] || fail "gso_pieces $(jq .capture.gso_pieces r.json), want $pieces"
  [ "$(jq .counters.drop_mac_oversize r.json)" = 0 ] || fail "the MAC still dropped oversize frames"
  matches_truth r.json t.truth.json
  # A capture whose checksums need fixing was taken above the offloads: --fix-checksums cuts too.
  replay big.pcap rf.json --fix-checksums
  [ "$rc" = 0 ] || { cat err.txt; fail "exit $rc with --fix-checksums"; }
  [ "$(jq .capture.gso_pieces rf.json)" = "$pieces" ] || fail "--fix-checksums: gso_pieces $(jq .capture.gso_pieces rf.json), want $pieces"
  grep -q "frames cut into $pieces by --split-gso (implied by --fix-checksums)" out.txt ||
    fail "the summary does not say --fix-checksums cut the frames"
  ! grep -q "WARNING" out.txt || fail "--fix-checksums still warns"
  matches_truth rf.json t.truth.json
  ;;
gso_mss)
  # IPv6 behind two tags, TCP timestamps, two connections; an MSS of 1000 cuts every frame
  # with more payload, oversize or not.
  gen t.pcap 2 3 --ipv6 --vlan 5 --qinq --tcp-timestamps
  "$rewrite" t.pcap big.pcap --merge 4420 || fail "pcap_rewrite failed"
  [ "$(tshark -r big.pcap -Y 'frame.len > 9216' 2>/dev/null | wc -l)" -gt 0 ] || fail "merging made no oversize frame"
  read -r cut pieces < <(tshark -r big.pcap -Y 'tcp.dstport != 4420 && tcp.len > 1000' -T fields -e tcp.len 2>/dev/null |
    awk '{s += int(($1 + 999) / 1000)} END {print NR, s}')
  replay big.pcap r.json --split-gso=1000
  [ "$rc" = 0 ] || { cat err.txt; fail "exit $rc with --split-gso=1000"; }
  [ "$(jq .capture.gso_frames_split r.json)" = "$cut" ] || fail "gso_frames_split $(jq .capture.gso_frames_split r.json), want $cut"
  [ "$(jq .capture.gso_pieces r.json)" = "$pieces" ] || fail "gso_pieces $(jq .capture.gso_pieces r.json), want $pieces"
  grep -q ", $cut frames cut into $pieces by --split-gso" out.txt || fail "the summary does not count the frames cut"
  matches_truth r.json t.truth.json
  ;;
gso_tshark)
  # tshark recomputes every piece's checksums and reassembles the NVMe/TCP stream from them.
  for ip in "" --ipv6; do
    gen t.pcap 1 3 --vlan 7 --tcp-timestamps $ip
    "$rewrite" t.pcap big.pcap --merge 4420 && "$rewrite" big.pcap split.pcap --split 1000 ||
      fail "pcap_rewrite failed"
    tshark -r split.pcap -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -Y tcp -T fields \
      -e ip.checksum.status -e tcp.checksum.status -e tcp.len 2>/dev/null > st.txt
    [ -s st.txt ] || fail "tshark read nothing"
    # Wireshark's checksum status: 1 good, 0 bad, 2 unverified (IPv6 has no header checksum).
    awk -v v6="$ip" '(v6 == "" && $1 != 1) || $(NF-1) != 1 || $NF > 1000 {bad++} END {exit bad > 0}' st.txt ||
      fail "${ip:-IPv4}: $(awk -v v6="$ip" '(v6 == "" && $1 != 1) || $(NF-1) != 1 || $NF > 1000' st.txt | wc -l) pieces with bad checksums or over 1000 bytes"
    pdus() { tshark -r "$1" -d tcp.port==4420,nvme-tcp -Y 'nvme-tcp.type == 7' -T fields -e nvme-tcp.type 2>/dev/null | wc -l; }
    [ "$(pdus split.pcap)" = "$(pdus t.pcap)" ] && [ "$(pdus t.pcap)" -gt 0 ] ||
      fail "${ip:-IPv4}: tshark finds $(pdus split.pcap) C2HData PDUs in the pieces, $(pdus t.pcap) in the trace"
  done
  ;;
*) fail "unknown case $case" ;;
esac
echo "ok: $case"
