#!/usr/bin/env bash
# A pcap cut mid-record: replay names the file and the record, exits 2, writes no report.
set -u
nicsim=$1 trace=$2 work=$3
mkdir -p "$work"
head -c 100001 "$trace" > "$work/cut.pcap"
rm -f "$work/cut.json"
"$nicsim" replay "$work/cut.pcap" --report "$work/cut.json" >/dev/null 2>"$work/err.txt"
rc=$?
cat "$work/err.txt"
[ $rc -eq 2 ] || { echo "exit $rc, want 2"; exit 1; }
grep -q "cut.pcap" "$work/err.txt" && grep -q "record" "$work/err.txt" || { echo "message lacks file or record"; exit 1; }
[ ! -e "$work/cut.json" ] || { echo "a report was written for a broken trace"; exit 1; }
