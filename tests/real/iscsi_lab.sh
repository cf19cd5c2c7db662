#!/usr/bin/env bash
# Captures a real iSCSI target answering READs on loopback, inside a private network namespace.
#
# Usage: iscsi_lab.sh --out DIR [--target tgt|istgt] [--mtu 1500|9000|65536]
#                     [--initiator libiscsi|own] [--digests none|header|both] [--mrdsl N]
#                     [--qd N] [--reads "LBA:BLOCKS ..."]
# Leaves DIR/capture.pcap (port 3260, both directions), DIR/manifest.txt (what was set up and
# read) and DIR/initiator.log (what the initiator printed: negotiated keys, counts). Needs root,
# unshare, tgt or istgt, cc, tcpdump, ethtool, iproute2, and libiscsi-dev for --initiator
# libiscsi (the default: READ(16), header digest at most, MaxRecvDataSegmentLength 262144).
# --initiator own is iscsi_dd_read.c (READ(10), both digests, MaxRecvDataSegmentLength --mrdsl,
# 8192 by default); --digests both needs it.
#
# The namespace is what makes the MTU and TSO/GSO settings safe: they change only its own
# loopback, and every process started here dies with the script (each stopped by its PID).
#
# What real targets sent on Debian 12 (tgt 1.0.85, istgt 0.4~20111008, initiator libiscsi
# 1.19 through iscsi_read.c, reads of 4 KiB - 1 MiB at queue depth 4, MTU 1500/9000/65536):
# - Login: libiscsi offers MaxRecvDataSegmentLength=262144, MaxBurstLength=262144,
#   FirstBurstLength=262144, InitialR2T=No, ImmediateData=Yes, DataDigest=None always,
#   HeaderDigest=None or CRC32C as asked. tgtd answers without MaxRecvDataSegmentLength (8192
#   applies to what it receives), FirstBurstLength=65536, InitialR2T=Yes, and HeaderDigest=CRC32C
#   only when the target is configured for it (tgtadm --name HeaderDigest). istgt answers with
#   its configured MaxRecvDataSegmentLength (262144 here), FirstBurstLength=262144, and takes
#   the initiator's digest with UseDigest Auto; its Login Response came 1 s after the request.
# - Data-In: one PDU per 256 KiB (the initiator's MaxRecvDataSegmentLength) from offset 0 up,
#   DataSN 0, 1, ...; a 1 MiB read is 4 PDUs, F only on the last even though MaxBurstLength is
#   256 KiB; no Data-In of another task in between. Both targets put GOOD status in the last
#   Data-In (S) of every READ. SCSI Responses came only for the two TEST UNIT READYs of
#   libiscsi's login: the first CHECK CONDITION with 20 bytes of sense (unit attention), then
#   GOOD. tgtd completed tasks out of order (a 64 KiB READ before an earlier 16 KiB one).
# - With header digests every full-feature PDU carries one (tshark: Good CRC32); never a data
#   digest.
# - TCP: MSS 1460 / 8960 / 65495, window scale 10, SACK, timestamps on every segment; iSCSI
#   headers straddle segments. Frames the loopback dropped after tcpdump saw them show up as
#   SACKs and second copies in the capture (tgt, MTU 1500, 1 MiB reads); istgt captures had
#   zero-window episodes. istgt sometimes closed the connection on a Logout without a Logout
#   Response (libiscsi would then log in again: iscsi_read.c turns that off).
# - tgtd ignores SIGTERM and refuses "tgtadm --op delete --mode system" while a target
#   exists; istgt takes 2 s to exit on SIGTERM.
#
# With our own initiator (iscsi_dd_read.c, --initiator own; same targets, MTU 1500/9000, reads
# of 4 KiB - 512 KiB at queue depth 4): it offers HeaderDigest=CRC32C and DataDigest=CRC32C
# alone, MaxRecvDataSegmentLength=8192 (--mrdsl), MaxBurstLength=262144, FirstBurstLength=65536,
# InitialR2T=Yes, ImmediateData=No, DefaultTime2Wait=0.
# - Login: both targets take SecurityNegotiation with AuthMethod=None (answering it and
#   TargetPortalGroupTag=1), then LoginOperationalNegotiation; both answer DataDigest=CRC32C,
#   tgtd only when configured for it (tgtadm --name DataDigest --value CRC32C,None, which
#   --digests both does), istgt with UseDigest Auto. Both answer DefaultTime2Wait=2. tgtd again
#   sends no MaxRecvDataSegmentLength; istgt answers the initiator's own value (8192, also
#   4094, 1000 or 262144 when offered) instead of its configured 262144.
# - Data-In with MaxRecvDataSegmentLength 8192: 8 KiB PDUs from offset 0 up (a 4 KiB read is
#   one 4096-byte PDU, a 256 KiB read 32), DataSN 0, 1, ..., flags 0x00 but F|S with GOOD
#   status on the last; still no interleaving of tasks; no pad (every length a multiple of
#   512). Every full-feature PDU carries a header digest and every PDU with data a data digest
#   (tshark: Good). The first TEST UNIT READY gets CHECK CONDITION with 20 bytes of sense data
#   (with a data digest: the one PDU with data that is not a Data-In), the second GOOD. With
#   MaxRecvDataSegmentLength 262144 a 512 KiB read is two 256 KiB PDUs, F only on the last.
# - MaxRecvDataSegmentLength 4094 (not a multiple of 4): istgt sends 4094-byte Data-In with 2
#   zero pad bytes, the data digest over data and pad. tgtd sends the first 4094 bytes right,
#   but every later Data-In of the task takes its data from the padded position (2 bytes on
#   per PDU) while Buffer Offset says 4094: wrong data under a Good data digest. Only the LUN
#   pattern catches it (the initiator stops; the capture is kept as failed.pcap).
# - No NOP-In came in these short sessions; both targets answered the Logout.
set -euo pipefail

die() { echo "iscsi_lab: $*" >&2; exit 1; }

out="" target=tgt mtu=1500 digests=none qd=4 initiator=libiscsi mrdsl=8192
reads="0:8 64:32 1000:128 2048:512 4096:2048 12000:1024"
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:?}; shift 2 ;;
    --target) target=${2:?}; shift 2 ;;
    --mtu) mtu=${2:?}; shift 2 ;;
    --digests) digests=${2:?}; shift 2 ;;
    --initiator) initiator=${2:?}; shift 2 ;;
    --mrdsl) mrdsl=${2:?}; shift 2 ;;
    --qd) qd=${2:?}; shift 2 ;;
    --reads) reads=${2:?}; shift 2 ;;
    *) die "unknown argument '$1' (see the usage at the top of $0)" ;;
  esac
done
[ -n "$out" ] || die "--out DIR is required"
case $target in tgt|istgt) ;; *) die "--target must be tgt or istgt, not '$target'" ;; esac
case $mtu in 1500|9000|65536) ;; *) die "--mtu must be 1500, 9000 or 65536, not '$mtu'" ;; esac
case $digests in none|header|both) ;; *) die "--digests must be none, header or both, not '$digests'" ;; esac
case $initiator in libiscsi|own) ;; *) die "--initiator must be libiscsi or own, not '$initiator'" ;; esac
[ "$digests" != both ] || [ "$initiator" = own ] || die "--digests both needs --initiator own (libiscsi never offers DataDigest)"
[[ $mrdsl =~ ^[1-9][0-9]*$ ]] && [ "$mrdsl" -ge 512 ] && [ "$mrdsl" -le 16777215 ] ||
  die "--mrdsl must be 512 - 16777215, not '$mrdsl'"
[ "$mrdsl" = 8192 ] || [ "$initiator" = own ] || die "--mrdsl needs --initiator own (libiscsi's is 262144)"
[[ $qd =~ ^[1-9][0-9]*$ ]] || die "--qd must be a positive number, not '$qd'"

if [ -z "${ISCSI_LAB_IN_NETNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || die "needs root (a network namespace, tcpdump, the targets)"
  mkdir -p "$out" || die "cannot create $out"
  out=$(cd "$out" && pwd)
  rm -f "$out/capture.pcap" "$out/failed.pcap" "$out/manifest.txt" "$out/initiator.log"
  ISCSI_LAB_IN_NETNS=1 exec unshare -n -- bash "$0" --out "$out" --target "$target" --mtu "$mtu" \
    --digests "$digests" --qd "$qd" --reads "$reads" --initiator "$initiator" --mrdsl "$mrdsl"
fi

LUN_BLOCKS=16384  # 8 MiB: room for every default read
PORT=3260
IQN_TGT=iqn.2026-01.org.nicsim:lab
IQN_ISTGT_BASE=iqn.2026-01.org.nicsim
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d -t iscsi_lab.XXXXXX)
target_pid="" tcpdump_pid="" tgt_ctl=""

# Stops what this script started, by PID. tgtd ignores SIGTERM and leaves on a tgtadm request,
# which it refuses ("invalid request") while a target exists: that goes first.
cleanup() {
  if [ -n "$tcpdump_pid" ]; then kill -INT "$tcpdump_pid" 2>/dev/null || true; wait "$tcpdump_pid" || true; fi
  if [ -n "$target_pid" ]; then
    if [ "$target" = tgt ]; then
      tgtadm -C "$tgt_ctl" --lld iscsi --op delete --mode target --tid 1 --force >/dev/null 2>&1 || true
      tgtadm -C "$tgt_ctl" --lld iscsi --op delete --mode system >/dev/null 2>&1 || true
    else
      kill "$target_pid" 2>/dev/null || true
    fi
    for _ in $(seq 50); do kill -0 "$target_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$target_pid" 2>/dev/null || true
    wait "$target_pid" 2>/dev/null || true
    # tgtd leaves its control socket behind.
    [ -z "$tgt_ctl" ] || rm -f "/var/run/tgtd/socket.$tgt_ctl" "/var/run/tgtd/socket.$tgt_ctl.lock"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

for tool in ip ethtool tcpdump ss cc; do command -v $tool >/dev/null || die "$tool not found"; done
ip link set lo up
ip link set lo mtu "$mtu"
# Without segmentation offload every captured frame is at most one MTU, as on a wire.
ethtool -K lo tso off gso off >/dev/null

cc -O2 -o "$work/iscsi_read" "$here/iscsi_read.c" -liscsi 2>"$work/cc.log" ||
  die "cannot build the read helper (libiscsi-dev missing?): $(head -1 "$work/cc.log")"
"$work/iscsi_read" mklun "$work/lun.img" $LUN_BLOCKS
if [ "$initiator" = own ]; then
  cc -O2 -Wall -o "$work/iscsi_dd_read" "$here/iscsi_dd_read.c" 2>"$work/cc.log" ||
    die "cannot build the own initiator: $(head -1 "$work/cc.log")"
fi

tgt_admin() { tgtadm -C "$tgt_ctl" --lld iscsi "$@" >>"$work/target.log" 2>&1 || die "tgtadm $* failed"; }
listening() { [ -n "$(ss -Hltn "sport = :$PORT")" ]; }
wait_for() {  # WHAT CMD...: polls CMD for up to 10 s while the target lives
  local what=$1; shift
  for _ in $(seq 100); do
    "$@" && return 0
    kill -0 "$target_pid" 2>/dev/null || die "$target exited before $what: $(tail -1 "$work/target.log")"
    sleep 0.1
  done
  die "$target: timed out waiting for $what"
}

case $target in
  tgt)
    command -v tgtd >/dev/null || die "tgtd not found (package tgt)"
    # The control socket lives in the file system, shared with other namespaces: pick a free one.
    tgt_ctl=$(( 1000 + $$ % 30000 ))
    while [ -e "/var/run/tgtd/socket.$tgt_ctl" ]; do tgt_ctl=$((tgt_ctl + 1)); done
    tgtd -f -C "$tgt_ctl" --iscsi portal=127.0.0.1:$PORT >"$work/target.log" 2>&1 &
    target_pid=$!
    wait_for "listening" listening
    tgt_admin --op new --mode target --tid 1 -T $IQN_TGT
    tgt_admin --op new --mode logicalunit --tid 1 --lun 1 -b "$work/lun.img" --bstype rdwr
    tgt_admin --op bind --mode target --tid 1 -I ALL
    if [ "$digests" != none ]; then
      tgt_admin --op update --mode target --tid 1 --name HeaderDigest --value CRC32C,None
    fi
    if [ "$digests" = both ]; then
      tgt_admin --op update --mode target --tid 1 --name DataDigest --value CRC32C,None
    fi
    url=iscsi://127.0.0.1:$PORT/$IQN_TGT/1
    iqn=$IQN_TGT lun=1
    version=$(dpkg-query -W -f='${Version}' tgt 2>/dev/null || echo unknown)
    ;;
  istgt)
    command -v istgt >/dev/null || die "istgt not found (package istgt)"
    : >"$work/auth.conf"
    # istgt insists on a UnitControl portal (istgtcontrol's), unused here. UseDigest Auto:
    # the digests follow the initiator's offer.
    cat >"$work/istgt.conf" <<EOF
[Global]
  NodeBase "$IQN_ISTGT_BASE"
  PidFile $work/istgt.pid
  AuthFile $work/auth.conf
  MediaDirectory $work
  Timeout 30
  NopInInterval 20
  DiscoveryAuthMethod None
  MaxSessions 4
  MaxConnections 2
  FirstBurstLength 262144
  MaxBurstLength 1048576
  MaxRecvDataSegmentLength 262144
  InitialR2T Yes
  ImmediateData Yes
  DataPDUInOrder Yes
  DataSequenceInOrder Yes
  ErrorRecoveryLevel 0
[UnitControl]
  AuthMethod None
  Portal UC1 127.0.0.1:$((PORT + 1))
  Netmask 127.0.0.1
[PortalGroup1]
  Portal DA1 127.0.0.1:$PORT
[InitiatorGroup1]
  InitiatorName "ALL"
  Netmask 127.0.0.0/8
[LogicalUnit1]
  TargetName lab
  Mapping PortalGroup1 InitiatorGroup1
  AuthMethod None
  UseDigest Auto
  UnitType Disk
  LUN0 Storage $work/lun.img Auto
EOF
    istgt -c "$work/istgt.conf" -D >"$work/target.log" 2>&1 &
    target_pid=$!
    wait_for "listening" listening
    url=iscsi://127.0.0.1:$PORT/$IQN_ISTGT_BASE:lab/0
    iqn=$IQN_ISTGT_BASE:lab lun=0
    version=$(dpkg-query -W -f='${Version}' istgt 2>/dev/null || echo unknown)
    ;;
esac

# Immediate mode keeps the tail of the capture but gives every frame a ring slot of the snap
# length: one MTU (plus the link header) instead of the default 256 KiB keeps enough slots for
# a burst. -Z root: the file is in a root-only temp tree.
tcpdump -i lo -s $((mtu + 64)) -Z root --immediate-mode -U -B 131072 -w "$work/capture.pcap" \
  "tcp port $PORT" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 100); do grep -qs "listening on" "$work/tcpdump.log" && break; sleep 0.1; done
grep -q "listening on" "$work/tcpdump.log" || die "tcpdump did not start: $(head -1 "$work/tcpdump.log")"

hd=none dd=none
[ "$digests" = none ] || hd=crc32c
[ "$digests" = both ] && dd=crc32c
read -ra specs <<<"$reads"
read_rc=0
if [ "$initiator" = own ]; then
  "$work/iscsi_dd_read" --target "$iqn" --lun "$lun" --port $PORT --hd $hd --dd $dd \
    --mrdsl "$mrdsl" --qd "$qd" "${specs[@]}" >"$work/read.log" 2>&1 || read_rc=$?
  ini_version="iscsi_dd_read (tests/real/iscsi_dd_read.c)"
else
  "$work/iscsi_read" read "$url" $hd "$qd" "${specs[@]}" >"$work/read.log" 2>&1 || read_rc=$?
  ini_version="libiscsi $(dpkg-query -W -f='${Version}' libiscsi-dev 2>/dev/null || echo unknown)"
fi

# Let the logout's FIN exchange reach the capture before stopping tcpdump.
sleep 0.3
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || die "tcpdump failed: $(tail -1 "$work/tcpdump.log")"
tcpdump_pid=""
cp "$work/read.log" "$out/initiator.log"
if [ "$read_rc" -ne 0 ]; then
  # What went wrong is on the wire: keep it, under a name no manifest matches.
  cp "$work/capture.pcap" "$out/failed.pcap"
  die "reads against $target failed (capture in $out/failed.pcap): $(tail -1 "$work/read.log")"
fi
grep -q "^0 packets dropped by kernel" "$work/tcpdump.log" ||
  die "tcpdump dropped packets: $(grep 'dropped by kernel' "$work/tcpdump.log")"

cp "$work/capture.pcap" "$out/capture.pcap"
{
  echo "# iSCSI lab capture (tests/real/iscsi_lab.sh); read lines: LBA BLOCKS"
  echo "target $target $version"
  echo "initiator $ini_version"
  echo "tcpdump $(dpkg-query -W -f='${Version}' tcpdump 2>/dev/null || echo unknown)"
  echo "mtu $mtu"
  echo "header_digest $hd"
  echo "data_digest $dd"
  echo "initiator_max_recv_data_segment_length $([ "$initiator" = own ] && echo "$mrdsl" || echo 262144)"
  echo "lun_pattern be64_word_index"
  echo "block_size 512"
  echo "lun_blocks $LUN_BLOCKS"
  echo "queue_depth $qd"
  for s in "${specs[@]}"; do echo "read ${s%%:*} ${s#*:}"; done
} >"$out/manifest.txt"
echo "iscsi_lab: $target mtu $mtu digests $digests initiator $initiator: ${#specs[@]} reads -> $out/capture.pcap"
