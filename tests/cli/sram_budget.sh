#!/usr/bin/env bash
# The SRAM budget (docs/state.md): the replay report's `sram` lists every on-chip RAM of the
# config with a total that is their sum, the same structures `nicsim config --sram` prints;
# the summary names the total. Enlarging the MAC FIFO grows exactly that structure, and a
# context cache replaces the all-on-chip contexts by its lines and MSHRs.
# Usage: sram_budget.sh NICSIM TRACE WORK
set -euo pipefail
nicsim=$1 trace=$2 work=$3
command -v jq >/dev/null || { echo "SKIP: jq not found"; exit 77; }
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
cfg=$(dirname "$0")/../../configs/ctx-cache-1k.json

"$nicsim" replay "$trace" --report a.json > a.out
"$nicsim" replay "$trace" --report b.json --set mac.rx_fifo_bytes=128K > /dev/null
"$nicsim" replay "$trace" --report c.json --config "$cfg" > /dev/null
for r in a b c; do
  [ "$(jq '.sram.total_bytes == ([.sram.structures[] | .entries * .entry_bytes] | add)
          and all(.sram.structures[]; .bytes == .entries * .entry_bytes)' $r.json)" = true ] ||
    fail "$r: the total is not the sum of the structures"
done
names() { jq -r '[.sram.structures[].name] | join(" ")' "$1"; }
[ "$(names a.json)" = "$("$nicsim" config --sram | awk 'NR > 1 && $1 != "total" { print $1 }' | paste -sd' ')" ] ||
  fail "the report's structures are not those of nicsim config --sram"
for s in mac.rx_fifo fifo.mac_to_l3 fifo.crc_to_placement flow.table flow.contexts ddp.registrations ddp.sgl_pool placement.cmd_buffer; do
  jq -e --arg s "$s" 'any(.sram.structures[]; .name == $s and .bytes > 0)' a.json > /dev/null || fail "no $s"
done
delta=$(jq -n --slurpfile a a.json --slurpfile b b.json '$b[0].sram.total_bytes - $a[0].sram.total_bytes')
[ "$delta" = 65536 ] || fail "64 KiB more MAC FIFO added $delta bytes"
jq -e 'any(.sram.structures[]; .name == "ctx_cache.lines" and .entries == 1024)
       and (any(.sram.structures[]; .name == "flow.contexts") | not)' c.json > /dev/null ||
  fail "a 1024-entry context cache is not in the budget in place of the contexts"
grep -qE '^  SRAM +[0-9.]+ (KiB|MiB) on chip: ddp.sgl_pool [0-9.]+ MiB, ddp.registrations 16.00 MiB' a.out ||
  fail "no SRAM line in the summary"
# The DDP caches in place of the all-on-chip registrations and SGL pool.
"$nicsim" replay "$trace" --report d.json --set ddp_cache.entries=4096 --set ddp_cache.sgl_entries=4096 > /dev/null
jq -e '[.sram.structures[].name] | (index("ddp_cache.lines") != null) and (index("sgl_cache.lines") != null)
       and (index("ddp.registrations") == null) and (index("ddp.sgl_pool") == null)' d.json > /dev/null ||
  fail "the DDP caches are not in the budget in place of the registrations and the SGL pool"
echo "SRAM budget: $(jq .sram.total_bytes a.json) B default, $(jq .sram.total_bytes c.json) B with a 1K context cache"
