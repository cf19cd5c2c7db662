#!/usr/bin/env bash
# Closed-loop sweeps (docs/sweeps.md), with the workload of closed_loop.sh that drops at 100G
# with a small MAC FIFO and recovers by retransmission:
# - a grid over mac.rx_fifo_bytes: a row per FIFO with the closed loop's columns, status ok;
# - the minimum-size finder with --target throughput:1% (32 candidates: a scan down from hi),
#   throughput:0.5% (63 candidates: a verified bisection; throughput is not monotonic in the
#   FIFO here) and p99<=82us. Each answer must equal the one computed here from this script's
#   own `nicsim run` at every candidate: the smallest value from which every candidate up to
#   --hi meets the target (throughput: within P % of the run at --hi).
# Usage: closed_loop_sweep.sh NICSIM WORK_DIR
set -euo pipefail
nicsim=$1 work=$2
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

run='--flows 8 --queue-depth 32 --ios 100 --io-size 2K --ddgst --seed 3'
base=(--set mac.max_frame_bytes=1518 --set driver.io_threshold=512)
loop_columns=(closed_loop.total.throughput_gbps closed_loop.total.iops closed_loop.total.clat_ns.p50
              closed_loop.total.clat_ns.p99 closed_loop.total.clat_ns.p99.9
              counters.tcp_target_retransmitted_segments counters.tcp_target_rtos)

# The grid.
"$nicsim" sweep --run "$run" "${base[@]}" --grid mac.rx_fifo_bytes=2K,16K,64K -j 2 --out grid \
  --plot mac.rx_fifo_bytes:closed_loop.total.throughput_gbps,closed_loop.total.clat_ns.p99 > grid.txt 2>&1 ||
  { cat grid.txt; fail "closed-loop grid sweep failed"; }
csv=grid/results.csv
head -1 "$csv" | grep -q '^point,run,mac.rx_fifo_bytes,.*,status$' || fail "unexpected header: $(head -1 "$csv")"
# cell ROW COLUMN: a cell of the grid's results (the run's options hold no comma).
cell() {
  local c
  c=$(head -1 "$csv" | tr , '\n' | grep -nx -- "$2" | cut -d: -f1)
  [ -n "$c" ] || fail "results.csv has no column $2"
  awk -F, -v r="$1" -v c="$c" 'NR == r + 1 { print $c }' "$csv"
}
same() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 == b + 0) }'; }
[ "$(awk -F, 'NR > 1 && $NF == "ok"' "$csv" | wc -l)" -eq 3 ] || { cat "$csv"; fail "want 3 rows with status ok"; }
for row in 1 2 3; do
  [ "$(cell $row run)" = "$run" ] || fail "row $row: the run column is not the run's options"
  point=$(cell $row point)
  for c in "${loop_columns[@]}"; do
    # jq quotes the key with a dot in it.
    want=$(jq ".${c/%.p99.9/.\"p99.9\"}" "grid/points/$point.json")
    same "$(cell $row "$c")" "$want" || fail "row $row: $c is '$(cell $row "$c")', its report says '$want'"
  done
done
[ "$(cell 1 counters.tcp_target_retransmitted_segments)" -gt 0 ] || fail "2K FIFO: nothing retransmitted"
[ "$(cell 3 counters.tcp_target_retransmitted_segments)" -eq 0 ] || fail "64K FIFO: retransmissions"
awk -v s="$(cell 1 closed_loop.total.throughput_gbps)" -v l="$(cell 3 closed_loop.total.throughput_gbps)" \
  'BEGIN { exit !(s < l) }' || fail "the 2K FIFO's throughput is not below the 64K one's"
if gnuplot -e 'set terminal' 2>&1 | grep -q png; then
  ls grid/plots/closed_loop.total.throughput_gbps+closed_loop.total.clat_ns.p99-vs-mac.rx_fifo_bytes.png \
    > /dev/null || fail "no plot"
fi

# Every candidate of the finders below (2K..64K by 1K), each a `nicsim run` of this script's own.
mkdir -p own
for k in $(seq 2 64); do
  # shellcheck disable=SC2086
  "$nicsim" run $run "${base[@]}" --set mac.rx_fifo_bytes=$((k * 1024)) --report own/$k.json > own/$k.log ||
    fail "nicsim run at ${k}K failed"
done
# expected STEP_K PASS: the smallest candidate of 2K..64K by STEP_K KiB from which every
# candidate up to 64K passes; the awk condition PASS sees t (throughput), p (p99) and ref (the
# throughput at 64K).
expected() {
  local step_k=$1 pass=$2
  for k in $(seq 2 "$step_k" 64 | sort -rn); do
    jq -r --argjson b $((k * 1024)) '"\($b) \(.closed_loop.total.throughput_gbps) \(.closed_loop.total.clat_ns.p99)"' \
      "own/$k.json"
  done | awk 'NR == 1 { ref = $2 } { t = $2; p = $3; if (!('"$pass"')) exit; answer = $1 } END { print answer }'
}
# check NAME STEP TARGET PASS: the finder's answer for TARGET over 2K..64K by STEP against
# expected(), and what it says and writes.
check() {
  local name=$1 step=$2 target=$3 pass=$4 line ran got want
  "$nicsim" sweep --find-min mac.rx_fifo_bytes --lo 2K --hi 64K --step "$step" --run "$run" "${base[@]}" \
    --target "$target" -j 2 --out "$name" > "$name.txt" 2>&1 || { cat "$name.txt"; fail "find-min $target failed"; }
  line=$(grep '^smallest mac.rx_fifo_bytes with ' "$name.txt") ||
    { cat "$name.txt"; fail "find-min $target: no answer"; }
  got=$(sed -n 's/.*: \([0-9]*\) ([0-9]* points run)$/\1/p' <<< "$line")
  ran=$(sed -n 's/.*: [0-9]* (\([0-9]*\) points run)$/\1/p' <<< "$line")
  [[ -n $got && -n $ran ]] || fail "find-min $target: the answer line does not say how many points ran: $line"
  [ "$(($(wc -l < "$name/results.csv") - 1))" -eq "$ran" ] || fail "find-min $target: results.csv lacks points run"
  local reports=("$name"/points/min-*.json)
  [ "${#reports[@]}" -eq "$ran" ] || fail "find-min $target: a report per point run expected"
  [ "$(jq '[.probes[] | select(.status != "ok")] | length' "$name/find_min.json")" -eq 0 ] ||
    fail "find-min $target: a probe did not end ok"
  # Its probes are separate processes too: each gives what this script's run of that size gave.
  for r in "${reports[@]}"; do
    b=${r##*/min-}
    b=${b%.json}
    same "$(jq .closed_loop.total.throughput_gbps "$r")" \
      "$(jq .closed_loop.total.throughput_gbps own/$((b / 1024)).json)" ||
      fail "find-min $target: its run at $b gave another throughput than this script's"
  done
  want=$(expected $((step / 1024)) "$pass")
  [ "$got" = "$want" ] || { cat "$name.txt"; fail "find-min $target step $step: answer $got, computed here $want"; }
  echo "$target step $step: $got ($ran points run)"
}

check tput1 2048 throughput:1% 't >= 0.99 * ref'
reference='(within 1% of [0-9.]* at mac.rx_fifo_bytes=65536)'
grep -q "^smallest mac.rx_fifo_bytes with closed_loop.total.throughput_gbps >= [0-9.]* $reference: " tput1.txt ||
  fail "throughput:1%: the answer does not name the target and the reference"
grep -q 'by scan down from hi' tput1.txt || fail "throughput:1% over 32 candidates: not a scan"
check tput05 1024 throughput:0.5% 't >= 0.995 * ref'
grep -q 'by bisection verified 3 steps up' tput05.txt ||
  fail "throughput:0.5% over 63 candidates: not a verified bisection"
check p99 2048 'p99<=82us' 'p <= 82000'
echo "closed-loop sweep ok"
