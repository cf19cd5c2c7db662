#!/usr/bin/env bash
# `nicsim gen --ulp iscsi` checked two ways, against its truth file:
#   tshark  Wireshark's iSCSI dissector frames every PDU of a trace with both digests, several
#           connections, queue depth 8, out-of-order and interleaved tasks and some SCSI
#           Responses: every header digest Good, every data digest Good except the Data-In
#           PDUs --corrupt-ddgst corrupted, which are Bad exactly where the truth says
#           (connection, ITT, DataSN).
#   replay  `nicsim replay --iscsi-port 3260` on the same kind of trace: verdict ok, every
#           truth read found with its status, tag, length and SHA-256, >= 99 % placed.
#   impair  the replay again, with TCP loss, reordering and duplicates: every read matches.
# Usage: gen_iscsi.sh NICSIM WORK CASE
set -u
nicsim=$1 work=$2 case=$3
fail() { echo "FAIL: gen_iscsi $case: $*"; exit 1; }
command -v jq >/dev/null || { echo "SKIPPED: jq not found"; exit 77; }
mkdir -p "$work" && cd "$work" || fail "cannot use $work"

gen() {  # PCAP TRUTH EXTRA...
  local pcap=$1 truth=$2
  shift 2
  "$nicsim" gen --ulp iscsi -o "$pcap" --truth "$truth" --flows 3 --queue-depth 8 --hdgst --ddgst \
    --ios 90 --io-size 4K:64K --iscsi-interleave --iscsi-status-pdu 0.3 --corrupt-ddgst 0.1 "$@" \
    >gen.out 2>&1 || { cat gen.out; fail "nicsim gen failed"; }
}

# Every truth read in the report with the same status, tag, length and bytes.
matches_truth() {  # REPORT TRUTH
  local n bad
  n=$(jq '.commands | length' "$2")
  [ "$n" -gt 0 ] || fail "truth lists no reads"
  bad=$(jq -n --slurpfile r "$1" --slurpfile t "$2" '
    ($r[0].commands | map({key: "\(.flow)#\(.order)", value: .}) | from_entries) as $got
    | [$t[0].commands[] | . as $w | $got["\(.flow)#\(.order)"] as $g
       | select($g == null or $g.protocol != "iscsi" or $g.status != $w.status
                or $g.tag != $w.tag or $g.length != $w.length or $g.sha256 != $w.sha256)] | length')
  [ "$bad" = 0 ] || fail "$bad of $n reads differ from the truth"
  [ "$(jq .verdict.checked "$1")" = "$n" ] || fail "verdict checked $(jq .verdict.checked "$1") reads, truth has $n"
  [ "$(jq .verdict.ok "$1")" = true ] || fail "verdict not ok"
}

replay() {  # PCAP REPORT
  "$nicsim" replay "$1" --iscsi-port 3260 --report "$2" >replay.out 2>&1 ||
    { tail -5 replay.out; fail "nicsim replay exited non-zero"; }
}

case $case in
tshark)
  command -v tshark >/dev/null || { echo "SKIPPED: tshark not found"; exit 77; }
  gen t.pcap t.truth.json
  # One line per digest: "H|D Good|Bad port itt datasn" (the PDU's TCP port names its connection).
  tshark -r t.pcap -d tcp.port==3260,iscsi -o tcp.desegment_tcp_streams:TRUE \
    -o tcp.reassemble_out_of_order:TRUE -o iscsi.desegment_iscsi_messages:TRUE -O iscsi 2>/dev/null |
    awk '/^Transmission Control Protocol/ { port = ($6 == "3260,") ? $9 : $6; sub(",", "", port) }
         /Opcode:/ { itt = "-"; sn = "-" }
         /InitiatorTaskTag:/ { itt = $2 }
         /DataSN:/ { sn = $2 }
         /HeaderDigest: 0x/ { print "H", ($3 ~ /Good/ ? "Good" : "Bad"), port, itt, sn }
         /DataDigest: 0x/ { print "D", ($3 ~ /Good/ ? "Good" : "Bad"), port, itt, sn }' >digests.txt
  [ -s digests.txt ] || fail "tshark found no digest"
  hbad=$(grep -c "^H Bad" digests.txt)
  hgood=$(grep -c "^H Good" digests.txt)
  dgood=$(grep -c "^D Good" digests.txt)
  [ "$hbad" = 0 ] || fail "$hbad Bad header digests, first: $(grep -m1 '^H Bad' digests.txt)"
  # Every full-feature PDU carries one: a TUR, its response and the READs per connection, the
  # Data-In and the SCSI Responses.
  want=$(jq '(.connections | length) * 2 + .totals.commands + .totals.c2h_data_pdus + .totals.capsule_resps' t.truth.json)
  [ "$hgood" = "$want" ] || fail "tshark shows $hgood Good header digests, want $want"
  grep "^D Bad" digests.txt | while read -r _ _ port itt sn; do echo "$port $((itt)) $sn"; done | sort >bad.txt
  jq -r '.commands[] | select(.digest_corrupted) | "\(.flow | sub(".*:"; "")) \(.tag) \(.corrupt_pdu)"' \
    t.truth.json | sort >want_bad.txt
  [ -s want_bad.txt ] || fail "the truth has no corrupted digest: the test checks nothing Bad"
  cmp -s bad.txt want_bad.txt || { diff want_bad.txt bad.txt | head; fail "Bad data digests differ from the truth"; }
  wantd=$(jq '(.connections | length) + .totals.c2h_data_pdus' t.truth.json)
  [ "$((dgood + $(wc -l <bad.txt)))" = "$wantd" ] || fail "tshark shows $dgood Good data digests and $(wc -l <bad.txt) Bad, want $wantd in all"
  echo "tshark: $hgood Good header digests; $dgood Good, $(wc -l <bad.txt) Bad data digests, Bad exactly where the truth says"
  ;;
replay)
  gen t.pcap t.truth.json
  replay t.pcap r.json
  matches_truth r.json t.truth.json
  jq -e '([.commands[].placed_bytes] | add) * 100 >= ([.commands[].length] | add) * 99' r.json >/dev/null ||
    fail "the NIC placed $(jq '[.commands[].placed_bytes] | add' r.json) of $(jq '[.commands[].length] | add' r.json) bytes"
  echo "replay: $(jq '.commands | length' t.truth.json) reads match the truth ($(jq '[.commands[] | select(.status == "digest_error")] | length' t.truth.json) digest errors), placed $(jq '[.commands[].placed_bytes] | add' r.json) of $(jq '[.commands[].length] | add' r.json) bytes"
  ;;
impair)
  gen t.pcap t.truth.json --loss 0.02 --reorder 0.02 --dup 0.02 --bad-tcp-csum 0.01 --reseg-retransmit
  replay t.pcap r.json
  matches_truth r.json t.truth.json
  echo "impair: $(jq '.commands | length' t.truth.json) reads match the truth, placed $(jq '[.commands[].placed_bytes] | add' r.json) of $(jq '[.commands[].length] | add' r.json) bytes"
  ;;
*) fail "unknown case" ;;
esac
