#!/usr/bin/env bash
# ctest real.iscsi_targets: tgt and istgt at MTU 1500, 9000 (header digests) and 65536 answer
# a few READs (4 KiB - 512 KiB, the largest beyond MaxBurstLength, queue depth 4) from libiscsi
# in the lab (iscsi_lab.sh), then at MTU 1500 and 9000 from our own initiator with header and
# data digests (iscsi_dd_read.c, MaxRecvDataSegmentLength 8192); the checker (iscsi_check.sh)
# verifies every capture against the LUN pattern and, with our initiator, that tshark finds
# every header and data digest Good. With NICSIM, each capture is also replayed through the
# model (tests/cli/iscsi_replay.sh: every READ ok and byte-exact against the LUN, every data
# digest verified where negotiated, by the NIC or, after a loopback drop, by software).
# Exits 77 with one "SKIPPED: reason" line where the lab cannot run.
# Usage: iscsi_targets.sh WORK_DIR [NICSIM]
set -euo pipefail

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: iscsi_targets.sh WORK_DIR [NICSIM]"; exit 2; }
work=$1 nicsim=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIPPED: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, tcpdump, iSCSI targets)"
command -v unshare >/dev/null || skip "unshare not found (util-linux)"
unshare -n true 2>/dev/null || skip "cannot create a network namespace here (unshare -n failed)"
for tool in tgtd tgtadm istgt tcpdump ethtool ip ss cc tshark; do
  command -v $tool >/dev/null || skip "$tool not found (scripts/install-deps installs it)"
done
[ -r /usr/include/iscsi/iscsi.h ] || skip "libiscsi-dev not installed (scripts/install-deps)"
tshark -v 2>/dev/null | grep -q "with Lua" || skip "tshark was built without Lua (the checker is a Lua tap)"

rm -rf "$work"
mkdir -p "$work"
runs=0 replays=0
check() {  # OUT: tshark's verdict, then the model's
  "$here/iscsi_check.sh" "$1/capture.pcap" "$1/manifest.txt"
  if [ -n "$nicsim" ]; then
    "$here/../cli/iscsi_replay.sh" "$nicsim" "$1/capture.pcap" "$1/replay" "$1/manifest.txt" live
    replays=$((replays + 1))
  fi
  runs=$((runs + 1))
}
for target in tgt istgt; do
  for mtu in 1500 9000 65536; do
    digests=none
    [ "$mtu" = 9000 ] && digests=header
    out=$work/${target}_mtu${mtu}
    "$here/iscsi_lab.sh" --out "$out" --target "$target" --mtu "$mtu" --digests "$digests" \
      --qd 4 --reads "0:8 100:32 1000:128 2048:1024"
    check "$out"
  done
  for mtu in 1500 9000; do
    out=$work/${target}_own_mtu${mtu}
    "$here/iscsi_lab.sh" --out "$out" --target "$target" --mtu "$mtu" --initiator own \
      --digests both --qd 4 --reads "0:8 100:32 1000:128 2048:512"
    check "$out"
  done
done
echo "real.iscsi_targets: $runs captures, every READ checked; $replays replayed through the model"
