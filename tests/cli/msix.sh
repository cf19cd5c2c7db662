#!/usr/bin/env bash
# The completion interrupt end to end (docs/architecture.md, "Interrupts"): on a bundled trace,
# every interrupt the driver takes is an MSI-X message the NIC sent across the link (counts
# equal) and none arrives before the entries it announces; moderation by count and by time
# cut the interrupts within bounds worked out from the rule, every read still byte-exact; a
# masked vector sends nothing and the replay fails naming it.
# Usage: msix.sh NICSIM TRACE WORK_DIR
set -euo pipefail
nicsim=$1 trace=$2 work=$3
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
c() { jq -r ".counters.$2" "$1"; }

# Every message the NIC sent reached the interrupt controller and the driver's handler, and
# was taken; none early.
same_counts() {
  local r=$1
  local m; m=$(c "$r" msix_messages)
  for k in host_msi_received driver_msis driver_irqs; do
    [ "$(c "$r" $k)" = "$m" ] || fail "$r: $k $(c "$r" $k), msix_messages $m"
  done
  [ "$(c "$r" msix_before_entries)" = 0 ] || fail "$r: a message arrived before its entries"
  [ "$(jq -r .verdict.ok "$r")" = true ] || fail "$r: verdict not ok"
}

"$nicsim" replay "$trace" --report off.json >/dev/null || fail "moderation off: replay failed"
same_counts off.json
off=$(c off.json driver_irqs)
[ "$off" -gt 1 ] || fail "moderation off: $off interrupts"
[ "$(c off.json msix_by_count)" = 0 ] || fail "moderation off: decisions by count"

# By count (16, with a 1 ms time far beyond the trace's 108 us): each decision by count
# signals at least 16 entries no other decision signals, so at most floor(entries / 16) of
# them. The time catches groups the driver waits on (its commands' completions while reads
# hang on them): decisions by time are at least 1 ms apart (see below), at most
# 1 + floor(simulated time / 1 ms).
"$nicsim" replay "$trace" --report count.json --set irq.moderation_count=16 \
  --set irq.moderation_ns=1000000 >/dev/null || fail "moderation by count: replay failed"
same_counts count.json
n=$(c count.json driver_cqes) sim=$(jq -r .summary.simulated_ps count.json)
bc=$(c count.json msix_by_count) bt=$(c count.json msix_by_time) sig=$(c count.json msix_completions_signalled)
[ "$bc" -ge 1 ] && [ "$bc" -le $((n / 16)) ] || fail "by count: $bc by count for $n entries"
[ "$bt" -le $((1 + sim / 1000000000)) ] || fail "by count: $bt by time in $sim ps"
[ "$sig" -ge $((16 * bc)) ] && [ "$sig" -le "$n" ] || fail "by count: $sig signalled for $bc decisions"
[ "$(c count.json driver_irqs)" -lt "$off" ] || fail "by count: no fewer interrupts than $off"

# By time (20 us): a message's poll takes every entry posted before it, so the next decision's
# first entry comes after this decision and the decisions are at least 20 us apart: at most
# 1 + floor(simulated time / 20 us).
"$nicsim" replay "$trace" --report time.json --set irq.moderation_ns=20000 >/dev/null ||
  fail "moderation by time: replay failed"
same_counts time.json
sim=$(jq -r .summary.simulated_ps time.json) bt=$(c time.json msix_by_time)
[ "$(c time.json msix_by_count)" = 0 ] || fail "by time: decisions by count"
[ "$bt" -ge 1 ] && [ "$bt" -le $((1 + sim / 20000000)) ] || fail "by time: $bt messages in $sim ps"
[ "$bt" -lt "$off" ] || fail "by time: no fewer interrupts than $off"

# Masked: the first completion's decision is latched in the pending bit, nothing is sent, the
# driver never polls, and the replay fails with that reason (exit 1, one line).
set +e
"$nicsim" replay "$trace" --report masked.json --set driver.irq_masked=true >/dev/null 2>err.txt
st=$?
set -e
[ "$st" = 1 ] || fail "masked: exit $st"
grep -q "^nicsim replay: completion interrupt masked: MSI-X vector 0 has a message pending" err.txt ||
  fail "masked: $(cat err.txt)"
[ "$(c masked.json msix_messages)" = 0 ] && [ "$(c masked.json driver_irqs)" = 0 ] &&
  [ "$(c masked.json msix_masked)" = 1 ] || fail "masked: messages or interrupts"
echo "ok: $off interrupts off, $(c count.json driver_irqs) by count 16, $(c time.json driver_irqs) by 20 us"
