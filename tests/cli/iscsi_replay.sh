#!/usr/bin/env bash
# `nicsim replay` on a capture of a real iSCSI target (traces/iscsi/, tests/real/iscsi_lab.sh):
# every READ the manifest lists completes ok with the bytes of the LUN (the 8-byte big-endian
# word k at byte 8k, hashed here by perl, not by the model), placed by the NIC (>= 99 % of
# the data), and with its data digests verified by the NIC where they were negotiated.
# A live capture (`live`, tests/real/iscsi_targets.sh) may hold loopback drops and their
# resends, after which software rightly copies or checks some bytes: there only the bytes and
# statuses are asserted, and placement is reported.
# Usage: iscsi_replay.sh NICSIM CAPTURE WORK [MANIFEST [live]]  (default: CAPTURE's .manifest.txt)
set -u
nicsim=$1 cap=$2 work=$3 live=${5:-}
fail() { echo "FAIL: $(basename "$cap"): $*"; exit 1; }
command -v jq >/dev/null && command -v perl >/dev/null || { echo "SKIP: jq or perl missing"; exit 77; }
manifest=${4:-${cap%.pcap}.manifest.txt}
[ -f "$manifest" ] || fail "no manifest $manifest"
mkdir -p "$work"
report=$work/$(basename "${cap%.pcap}").json
# Loopback captures: unfinished checksums, and 64 KiB frames where the MTU allowed them.
"$nicsim" replay "$cap" --fix-checksums --report "$report" >"$report.out" 2>&1 ||
  { cat "$report.out"; fail "replay exited non-zero"; }

mapfile -t reads < <(awk '$1 == "read" { print $2, $3 }' "$manifest")
[ "${#reads[@]}" -gt 0 ] || fail "the manifest lists no read"
bs=$(awk '$1 == "block_size" { print $2 }' "$manifest")
[ "$(jq .verdict.checked "$report")" = "${#reads[@]}" ] ||
  fail "verdict checked $(jq .verdict.checked "$report") reads, the manifest lists ${#reads[@]}"
[ "$(jq '[.commands[] | select(.protocol == "iscsi")] | length' "$report")" = "${#reads[@]}" ] ||
  fail "the report lists $(jq '.commands | length' "$report") commands, the manifest ${#reads[@]} reads"
ddgst=$(awk '$1 == "data_digest" { print $2 }' "$manifest")
for i in "${!reads[@]}"; do
  read -r lba blocks <<< "${reads[$i]}"
  want=$(perl -e 'my ($a, $n) = @ARGV; print pack("Q>", $_) for ($a .. $a + $n - 1)' \
           $(( lba * bs / 8 )) $(( blocks * bs / 8 )) | sha256sum | cut -d' ' -f1)
  got=$(jq -r --argjson o "$i" '.commands[] | select(.order == $o) | "\(.status) \(.length) \(.crc) \(.sha256)"' "$report")
  crc=$([ "$ddgst" = crc32c ] && echo hw || echo none)
  # Live: a digest checked by software where a packet was not crc-ok is as right.
  [ -n "$live" ] && [ "$crc" = hw ] && got=${got/ sw / hw }
  [ "$got" = "ok $(( blocks * bs )) $crc $want" ] ||
    fail "read #$i (LBA $lba, $blocks blocks): got '$got', want ok, $(( blocks * bs )) bytes, LUN digest $want"
done
# Placement: every read's buffer, in bytes, with a margin of 1 % for what the NIC may miss.
[ -n "$live" ] ||
jq -e '([.commands[].placed_bytes] | add) * 100 >= ([.commands[].length] | add) * 99' "$report" >/dev/null ||
  fail "the NIC placed $(jq '[.commands[].placed_bytes] | add' "$report") of $(jq '[.commands[].length] | add' "$report") bytes"
echo "$(basename "$cap"): ${#reads[@]} reads ok, LUN bytes, placed $(jq '[.commands[].placed_bytes] | add' "$report") of $(jq '[.commands[].length] | add' "$report") B, crc $(jq -r '[.commands[].crc] | unique | join("/")' "$report")"
