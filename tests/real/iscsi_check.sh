#!/usr/bin/env bash
# Checks an iSCSI lab capture with Wireshark's dissectors, independently of the nicsim model:
# every READ's Data-In bytes must cover the read exactly, equal the LUN pattern and end with
# GOOD status (iscsi_check.lua does the matching); no digest may be Bad. With a manifest
# (iscsi_lab.sh), the READs found must be exactly the reads it lists, and where it names a
# CRC32C header or data digest, every full-feature PDU must show a Good header digest and
# every PDU with data a Good data digest (tshark learns the digests from the login keys).
# Exits 77 (SKIPPED) without tshark or its Lua.
# Usage: iscsi_check.sh CAPTURE.pcap [MANIFEST]
set -euo pipefail

fail() { echo "iscsi_check: FAIL: $*"; exit 1; }
[ $# -ge 1 ] && [ $# -le 2 ] || fail "usage: iscsi_check.sh CAPTURE.pcap [MANIFEST]"
pcap=$1 manifest=${2:-}
[ -r "$pcap" ] || fail "cannot read $pcap"
command -v tshark >/dev/null || { echo "SKIPPED: tshark not found (scripts/install-deps)"; exit 77; }
tshark -v 2>/dev/null | grep -q "with Lua" || { echo "SKIPPED: tshark was built without Lua"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Loopback captures carry unfinished TCP checksums; PDUs span segments and share them.
tshark -q -r "$pcap" -d tcp.port==3260,iscsi -o tcp.check_checksum:FALSE \
  -o tcp.desegment_tcp_streams:TRUE -o tcp.reassemble_out_of_order:TRUE \
  -o iscsi.desegment_iscsi_messages:TRUE -X lua_script:"$here/iscsi_check.lua" \
  >"$tmp/out" 2>"$tmp/err" || fail "tshark failed on $pcap: $(grep -v 'Running as user' "$tmp/err" | head -1)"
# tshark goes on after an error in a Lua tap; the checker's results are then incomplete.
if grep -q "Lua" "$tmp/err"; then fail "the Lua checker failed: $(grep -m1 "Lua" "$tmp/err")"; fi

if grep -q "^ERROR " "$tmp/out"; then fail "$(grep -m1 "^ERROR " "$tmp/out" | cut -c7-)"; fi
if grep -q " FAIL " "$tmp/out"; then
  fail "$(grep -c " FAIL " "$tmp/out") READs wrong, first: $(grep -m1 " FAIL " "$tmp/out" | sed 's/^READ \([0-9]*\) \([0-9]*\) FAIL /LBA \1, \2 blocks: /')"
fi
read -r _ ff hd_good data dd_good datain datain_dd_good < <(grep -m1 "^DIGESTS " "$tmp/out") ||
  fail "the Lua checker printed no digest counts"
grep "^READ " "$tmp/out" >"$tmp/reads" || true
n=$(grep -c "^READ .* ok$" "$tmp/reads" || true)
[ "$n" -gt 0 ] || fail "no READ with its data in $pcap: checked nothing"

if [ -n "$manifest" ]; then
  [ -r "$manifest" ] || fail "cannot read $manifest"
  grep -qx "lun_pattern be64_word_index" "$manifest" || fail "$manifest names another LUN pattern"
  grep -qx "block_size 512" "$manifest" || fail "$manifest names another block size"
  awk '$1 == "read" { print $2, $3 }' "$manifest" | sort >"$tmp/want"
  awk '{ print $2, $3 }' "$tmp/reads" | sort >"$tmp/got"
  [ -s "$tmp/want" ] || fail "$manifest lists no reads"
  cmp -s "$tmp/want" "$tmp/got" ||
    fail "the READs in $pcap ($(wc -l <"$tmp/got")) are not the $(wc -l <"$tmp/want") the manifest lists"
  if grep -qx "header_digest crc32c" "$manifest"; then
    [ "$hd_good" = "$ff" ] || fail "$hd_good of $ff full-feature PDUs show a Good header digest"
  fi
  if grep -qx "data_digest crc32c" "$manifest"; then
    [ "$datain" -gt 0 ] || fail "no Data-In with data"
    [ "$dd_good" = "$data" ] || fail "$dd_good of $data PDUs with data show a Good data digest"
  fi
fi
bytes=$(awk '{ s += $3 * 512 } END { print s }' "$tmp/reads")
echo "iscsi_check: $n READs, $bytes bytes, all equal to the LUN pattern; $ff full-feature PDUs," \
  "$hd_good Good header digests; $data PDUs with data ($datain Data-In), $dd_good Good data" \
  "digests ($datain_dd_good on Data-In) ($pcap)"
