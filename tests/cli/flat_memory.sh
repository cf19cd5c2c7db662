#!/usr/bin/env bash
# Replay memory does not grow with the trace: a 4x longer impaired multi-flow trace, streamed
# through a pipe, peaks at about the same RSS; the reference decode never holds more reads
# than the hosts keep in flight, and host memory ends with the rings only (every freed
# buffer's pages dropped).
set -u
nicsim=$1 work=$2
mkdir -p "$work"
fail() { echo "$*"; exit 1; }
flows=8 qd=16
field() { grep -m1 "^$1,,$2," "$3" | cut -d, -f4; }
for size in 16M 64M; do
  "$nicsim" gen -o - --flows $flows --queue-depth $qd --ddgst --io-size 4K,16K,128K \
      --total-bytes $size --loss 0.005 --reorder 0.005 --dup 0.005 --bad-tcp-csum 0.002 --seed 9 2>/dev/null |
    "$nicsim" replay - --set driver.io_threshold=4096 --set driver.allocator=pages \
      --csv "$work/$size.csv" >/dev/null
  rc=${PIPESTATUS[1]}
  [ "$rc" -eq 0 ] || fail "$size: replay exit $rc"
done
short=$(field summary peak_rss_kb "$work/16M.csv") long=$(field summary peak_rss_kb "$work/64M.csv")
echo "peak RSS: 16 MiB trace $short KB, 64 MiB trace $long KB"
# Before streaming, the longer trace cost about 2.3 bytes of RSS per trace byte more (>100 MB).
# Under AddressSanitizer (make test-asan sets ASAN_OPTIONS) freed memory waits in a quarantine
# of up to 256 MB, so RSS says nothing there; the bounded counters below still hold.
if [ -z "${ASAN_OPTIONS:-}" ]; then
  [ "$long" -le $((short + short / 10 + 16384)) ] || fail "peak RSS grew with the trace"
fi
for f in "$work/16M.csv" "$work/64M.csv"; do
  open=$(field counters reference_open_reads_max "$f")
  waiting=$(field counters verdict_waiting_reads_max "$f")
  pages=$(field counters host_memory_pages_at_end "$f")
  echo "$f: reference open reads max $open, verdict waiting max $waiting, host pages at end $pages"
  [ "$open" -le $((flows * qd)) ] || fail "reference kept $open reads open (> $((flows * qd)) in flight)"
  [ "$waiting" -le $((flows * qd)) ] || fail "verdict kept $waiting reads waiting"
  # Rings: receive ring 4 MiB, completion ring 4096 x 64 B, command ring 1024 x 64 B.
  rings=$(( (4194304 + 4096 * 64 + 1024 * 64) / 4096 ))
  [ "$pages" -le $((rings + 4)) ] || fail "host memory ends with $pages pages (> rings $rings)"
done
