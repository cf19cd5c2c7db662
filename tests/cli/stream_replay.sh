#!/usr/bin/env bash
# `nicsim gen -o - | nicsim replay -`: one pass over a pipe gives the same passing verdict and
# the same counters as replaying the file; a stream cut mid-record exits 2 naming stdin and
# the record, and writes no report.
set -u
nicsim=$1 work=$2
mkdir -p "$work"
fail() { echo "$*"; exit 1; }
gen=(--flows 4 --ddgst --io-size 4K,32K,128K --ios 150 --loss 0.01 --reorder 0.01 --dup 0.01
     --bad-tcp-csum 0.01 --corrupt-ddgst 0.05 --seed 5)
"$nicsim" gen -o "$work/t.pcap" "${gen[@]}" >/dev/null || fail "gen to a file failed"
"$nicsim" replay "$work/t.pcap" --set driver.io_threshold=4096 --csv "$work/file.csv" >/dev/null ||
  fail "file replay failed"

"$nicsim" gen -o - "${gen[@]}" 2>/dev/null |
  "$nicsim" replay - --set driver.io_threshold=4096 --csv "$work/pipe.csv" >"$work/pipe.txt"
rc=${PIPESTATUS[1]}
cat "$work/pipe.txt"
[ "$rc" -eq 0 ] || fail "pipe replay exit $rc, want 0"
grep -q "verdict    all 150 completed reads match" "$work/pipe.txt" || fail "verdict not all 150 reads"
diff <(grep '^counters,' "$work/file.csv") <(grep '^counters,' "$work/pipe.csv") ||
  fail "counters differ between the file and the pipe"

rm -f "$work/cut.json"
head -c 100001 "$work/t.pcap" | "$nicsim" replay - --report "$work/cut.json" >/dev/null 2>"$work/err.txt"
rc=${PIPESTATUS[1]}
cat "$work/err.txt"
[ "$rc" -eq 2 ] || fail "cut stream exit $rc, want 2"
grep -q "stdin" "$work/err.txt" && grep -q "record" "$work/err.txt" || fail "message lacks stdin or record"
[ ! -e "$work/cut.json" ] || fail "a report was written for a broken stream"
echo "pipe replay matches the file replay"
