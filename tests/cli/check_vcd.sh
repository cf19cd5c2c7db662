#!/usr/bin/env bash
# A replay's VCD is well-formed, GTKWave's own converter accepts it, and its .gtkw opens useful:
# zoomed onto a span where the pipeline works, FIFO levels as analog steps, the tracker state
# by name through a translate file that names every value of the enum, valid/ready as single
# wires, and an idle flow register that reads 0 (flow_valid low), never 4294967295.
# Usage: check_vcd.sh NICSIM TRACE WORK PDU_TRACKER_HPP (the enum's source of truth)
set -euo pipefail
nicsim=$1 trace=$2 work=$3 enum_src=$4
command -v vcd2fst >/dev/null || { echo "SKIP: vcd2fst (gtkwave) not found"; exit 77; }
fail() { echo "$*"; exit 1; }
mkdir -p "$work"
rm -f "$work"/w.*
"$nicsim" replay "$trace" --vcd "$work/w.vcd" >/dev/null
vcd=$work/w.vcd gtkw=$work/w.gtkw
grep -q '^\$enddefinitions' "$vcd" || fail "no \$enddefinitions in VCD"
grep -q 'active_cycles' "$vcd" || fail "clock activity not traced"
grep -q 'mac_to_l3_level' "$vcd" || fail "channels not traced"
# Value changes after the header, with increasing timestamps.
awk '/^#[0-9]+/{t=substr($0,2)+0; if (t<last) {print "time goes back at " t; exit 1}; last=t; n++} END{if (n<10) {print "too few time steps: " n; exit 1}}' "$vcd"
vcd2fst "$vcd" "$work/w.fst" >/dev/null
[ -s "$work/w.fst" ] || fail "vcd2fst wrote nothing"
echo "VCD ok: $(grep -c '^\$var' "$vcd") signals, FST $(stat -c %s "$work/w.fst") bytes"

# The save file opens the same waveform grouped by block: every signal it names exists.
[ -s "$gtkw" ] || fail "no .gtkw save file next to the VCD"
while read -r sig; do
  leaf=${sig##*.}; leaf=${leaf%%\[*}
  grep -q " $leaf " "$vcd" || fail ".gtkw names $sig, absent from the VCD"
done < <(grep '^SystemC\.' "$gtkw")
echo "gtkw ok: $(grep -c '^SystemC\.' "$gtkw") signals in $(grep -c '^@800200' "$gtkw") groups"

# Two clock domains: the core's and the MAC's edges both toggle, at times of their own, and the
# MAC FIFO's read pointer reaches the MAC domain later than it moves (the synchroniser).
awk '
  $1 == "$scope" { scope = $3 } $1 == "$upscope" { scope = "" }
  $1 == "$var" && $5 == "edge" { dom[$4] = scope }
  $1 == "$var" && $5 == "fifo_rd_ptr" { rd = $4 } $1 == "$var" && $5 == "fifo_rd_ptr_sync" { sy = $4 }
  /^#/ { t = substr($0, 2); next }
  ($0 ~ /^[01]/) && (substr($0, 2) in dom) { n[dom[substr($0, 2)]]++; at[dom[substr($0, 2)], t] = 1 }
  $1 ~ /^b/ && $2 == rd && !rd_first { rd_first = t }
  $1 ~ /^b/ && $2 == sy && !sy_first && $1 != "b0" { sy_first = t }
  END {
    if (n["clk"] < 10 || n["mac_clk"] < 10) { print "clock edges: clk " n["clk"] ", mac_clk " n["mac_clk"]; exit 1 }
    for (k in at) { split(k, p, SUBSEP); if (p[1] == "mac_clk" && !(("clk", p[2]) in at)) own = 1 }
    if (!own) { print "the MAC clock never ticks at a time of its own"; exit 1 }
    if (!rd_first || !sy_first || sy_first + 0 <= rd_first + 0) { print "read pointer crossing: moved at " rd_first ", seen at " sy_first; exit 1 }
  }' "$vcd" || fail "clock domains or the FIFO crossing not visible in the VCD"
echo "clock domains ok: clk and mac_clk edges, the FIFO read pointer crossing"

# VCD identifier of a signal by its leaf name (unique in this design).
id_of() { awk -v n="$1" '$1 == "$var" && $5 == n {print $4; exit}' "$vcd"; }

# valid/ready: one wire each, on every channel.
n=$(awk '$1 == "$var" && $5 ~ /_(valid|ready)$/ {if ($3 != 1) {print "wide: " $5 > "/dev/stderr"; bad=1} n++} END {print bad ? -1 : n}' "$vcd")
[ "$n" -ge 10 ] || fail "valid/ready not all 1-bit wires (or missing): $n"
[ "$(awk '$1 == "$var" && $5 == "flow_valid" {print $3}' "$vcd")" = 1 ] || fail "pdu_parser.flow_valid is not a wire"

# The flow register: never all ones, 0 whenever flow_valid is low, valid at some point.
flow=$(id_of flow) fvalid=$(id_of flow_valid)
awk -v f="$flow" -v v="$fvalid" '
  function check() { if (valid == "0" && fl != 0) { printf "flow %.0f while flow_valid is low at %s\n", fl, t; exit 1 } }
  /^#/ { check(); t = substr($0, 2); next }
  $2 == f { s = substr($1, 2); fl = 0; for (i = 1; i <= length(s); i++) fl = fl * 2 + substr(s, i, 1)
            if (fl == 4294967295) { print "flow register reads 4294967295 at " t; exit 1 } }
  $0 == "1" v { valid = "1"; seen = 1 }
  $0 == "0" v { valid = "0" }
  END { check(); if (!seen) { print "flow_valid never rose"; exit 1 } }' "$vcd"

# Flags in the save file: the hex number of the last '@' line before each signal.
flags_of() { awk -v s="$1" '/^@/ {f = substr($0, 2)} index($0, s) == 1 {print f; exit}' "$gtkw"; }
levels=0
for sig in $(grep -E '^SystemC\..*(_level|fifo_bytes|queued|_ops|rx_ram_bytes)\[' "$gtkw"); do
  (( 16#$(flags_of "$sig") & 0x8000 )) || fail "$sig is not drawn as an analog step"
  levels=$((levels + 1))
done
[ "$levels" -ge 8 ] || fail "only $levels FIFO levels in the save file"
for sig in $(grep -E '^SystemC\..*(_valid|_ready|_head\[)' "$gtkw"); do
  (( 16#$(flags_of "$sig") & 0x8000 )) && fail "$sig is drawn analog"
done

# The tracker state goes through the translate file beside the save file, which names every
# value of hw::TrackerState as the source declares it (in order, no explicit values).
state=SystemC.top.nic.pdu_parser.tracker_state
(( 16#$(flags_of "$state") & 0x2000 )) || fail "$state is not translated"
filter=$(awk -v s="$state" '/^\^1 / {f = substr($0, 4)} index($0, s) == 1 {print f; exit}' "$gtkw")
[ -s "$filter" ] || fail "translate file '$filter' named by the .gtkw is missing"
[ "$(dirname "$filter")" -ef "$work" ] || fail "translate file $filter is not beside the .gtkw"
enums=$(awk '/enum class TrackerState/ {on = 1} on {sub(/\/\/.*/, ""); printf "%s", $0} on && /};/ {exit}' "$enum_src" |
  sed 's/.*{\(.*\)}.*/\1/')
[[ -n $enums && $enums != *=* ]] || fail "cannot read TrackerState from $enum_src: '$enums'"
value=0
for name in ${enums//,/ }; do
  grep -qx "$value $name" "$filter" || fail "translate file lacks '$value $name'"
  value=$((value + 1))
done
[ "$value" -ge 3 ] || fail "only $value TrackerState values read from $enum_src"

# The zoom: markers A and B span one frame's way through the NIC, inside the recorded time,
# where channels hand beats on and the DMA has work; the view starts before A and shows far
# less than the whole run.
read -r zoom _ a b < <(sed -n 's/^\*//p' "$gtkw")
start=$(sed -n 's/^\[timestart\] //p' "$gtkw")
first=$(grep -m1 '^#' "$vcd" | tr -d '#'); last=$(grep '^#' "$vcd" | tail -1 | tr -d '#')
[ -n "$zoom" ] && [ "$first" -le "$start" ] && [ "$start" -le "$a" ] && [ "$a" -lt "$b" ] && [ "$b" -le "$last" ] \
  || fail "zoom window: start $start, A $a, B $b outside the recorded $first..$last ps"
ids=$(awk '$1 == "$var" && $5 ~ /_valid$/ {printf "%s ", $4}' "$vcd")
busy=$(awk -v a="$a" -v b="$b" -v ids="$ids" -v dma="$(id_of in_flight)" '
  BEGIN { split(ids, l, " "); for (i in l) valid[l[i]] = 1 }
  /^#/ { t = substr($0, 2) + 0; next }
  t < a || t > b { next }
  length($0) > 1 && valid[substr($0, 2)] { handshakes++ }
  $2 == dma && $1 != "b0" { dma_busy = 1 }
  END { print handshakes + 0, dma_busy + 0 }' "$vcd")
[ "${busy% *}" -ge 10 ] && [ "${busy#* }" = 1 ] || fail "little activity between A and B (valid changes, DMA busy): $busy"
shown=$(awk -v z="$zoom" 'BEGIN { printf "%.0f", 2 ^ -z / 200 * 2000 }')  # on a 2000-pixel pane
[ "$shown" -ge $((b - a)) ] && [ "$shown" -lt $(((last - first) / 4)) ] || fail "zoom $zoom shows $shown ps of a $((last - first)) ps run"
echo "zoom ok: A $a .. B $b ps (${busy% *} valid changes), view from $start ps"

# GTKWave itself, when Xvfb is there: the window it opens covers A..B and names the state.
if command -v xvfb-run >/dev/null && command -v gtkwave >/dev/null; then
  cat > "$work/ask.tcl" <<TCL
set f [open "$work/ask.out" w]
puts \$f "[gtkwave::getWindowStartTime] [gtkwave::getWindowEndTime] [gtkwave::getTraceValueAtMarkerFromName $state\\[7:0\\]]"
close \$f
gtkwave::/File/Quit
TCL
  rm -f "$work/ask.out"
  timeout 60 xvfb-run -a -s "-screen 0 1600x1000x24" gtkwave "$gtkw" -S "$work/ask.tcl" >/dev/null 2>&1 || true
  read -r s e named < "$work/ask.out" || fail "GTKWave did not answer"
  [ "$s" -le "$a" ] && [ "$e" -ge "$b" ] || fail "GTKWave opens $s..$e ps, not A..B $a..$b"
  grep -q " $named\$" "$filter" || fail "GTKWave shows the tracker state as '$named', not by name"
  echo "GTKWave opens $s..$e ps, tracker state '$named'"
else
  echo "(xvfb-run missing: GTKWave's own view not checked)"
fi
